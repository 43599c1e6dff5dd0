using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Mtls;

namespace PipelinePki.Core.Governance;

public sealed record WatchRequest(IReadOnlyList<InventoryRecord> Inventory, IReadOnlyList<string> Endpoints, TimeSpan Within, TimeSpan Timeout);

/// <summary>
/// <c>ca watch</c>'s result: only what needs attention is a finding. Each finding is meant to become
/// one CI warning; the command exits 4 when anything is inside the margin, else 6 when an endpoint
/// could not be reached.
/// </summary>
public sealed record WatchReport(
    DateTimeOffset At,
    string Within,
    int CertificatesWatched,
    int EndpointsWatched,
    IReadOnlyList<ExpiryFinding> Findings)
{
    public bool AnyInsideMargin => Findings.Any(f => f.Status is ExpiryFinding.Expiring or ExpiryFinding.Expired);

    public bool AnyUnreachable => Findings.Any(f => f.Status == ExpiryFinding.Unreachable);
}

/// <summary>One-shot expiry monitoring of the inventory (valid, not revoked) and live TLS endpoints.</summary>
public sealed class ExpiryWatch(TimeProvider time)
{
    public async Task<WatchReport> RunAsync(WatchRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var watched = request.Inventory.Where(r => r.StatusAt(now) == CertificateStatus.Valid).ToList();
        var findings = watched
            .Where(r => r.NotAfter <= now + request.Within)
            .OrderBy(r => r.NotAfter)
            .Select(r => ExpiryFinding.ForRecord(r, now, request.Within))
            .ToList();

        foreach (var target in request.Endpoints)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var endpoint = TlsEndpoint.ParseEndpoint(target);
            IReadOnlyList<X509Certificate> presented;
            try
            {
                var handshake = await TlsEndpoint.HandshakeAsync(endpoint, request.Timeout, null, cancellationToken);
                presented = handshake.Presented.Count > 0
                    ? handshake.Presented.Select(c => PkiObjectReader.ParseCertificate(c.RawData, target)).ToList()
                    : [PkiObjectReader.ParseCertificate(handshake.Leaf.RawData, target)];
            }
            catch (RemoteFailureException e)
            {
                findings.Add(new ExpiryFinding(ExpiryFinding.Endpoint, target, null, null, null, null, ExpiryFinding.Unreachable, $"{target} is unreachable: {e.Message}"));
                continue;
            }

            // The first certificate on the presented chain to expire decides.
            var soonest = presented.Select(CertificateDescriber.Describe).OrderBy(c => c.NotAfter).First();
            var left = soonest.NotAfter - now;
            if (left <= request.Within)
            {
                var expired = left <= TimeSpan.Zero;
                findings.Add(new ExpiryFinding(
                    ExpiryFinding.Endpoint, target, soonest.Serial, soonest.Subject, soonest.NotAfter, Math.Round(left.TotalHours, 2),
                    expired ? ExpiryFinding.Expired : ExpiryFinding.Expiring,
                    expired
                        ? $"{target} presents {soonest.Subject}, expired {soonest.NotAfter:u}"
                        : $"{target} presents {soonest.Subject}, which expires {soonest.NotAfter:u}, in {ExpiryFinding.Human(left)} (margin {Durations.Format(request.Within)})"));
            }
        }

        return new WatchReport(now, Durations.Format(request.Within), watched.Count, request.Endpoints.Count, findings);
    }
}
