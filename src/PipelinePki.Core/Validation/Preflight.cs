using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Mtls;

namespace PipelinePki.Core.Validation;

public enum PreflightStatus
{
    Ok,
    Warning,
    Failed,
    Unreachable,
}

/// <summary>
/// The pipeline pre-flight of <c>cert check</c>: files or live <c>https://</c> endpoints, each
/// fails when anything on its path expires within <see cref="MinRemaining"/>, the chain does not
/// validate, or it is revoked; warns within <see cref="WarnRemaining"/>.
/// </summary>
public sealed record PreflightRequest(
    IReadOnlyList<string> Targets,
    TimeSpan MinRemaining,
    TimeSpan? WarnRemaining,
    IReadOnlyList<X509Certificate> TrustAnchors,
    IReadOnlyList<X509Certificate> Untrusted,
    IReadOnlyList<(byte[] Der, string Source)> Crls,
    RevocationMode Revocation,
    bool SoftFail,
    TimeSpan Timeout);

/// <summary>One row per target: its leaf, how long it has left, and why it is not OK.</summary>
public sealed record PreflightRow(
    string Target,
    string? Subject,
    string? Issuer,
    DateTimeOffset? NotAfter,
    double? DaysLeft,
    PreflightStatus Status,
    IReadOnlyList<string> Reasons);

public sealed record PreflightReport(IReadOnlyList<PreflightRow> Rows)
{
    public bool AnyFailed => Rows.Any(r => r.Status == PreflightStatus.Failed);

    public bool AnyUnreachable => Rows.Any(r => r.Status == PreflightStatus.Unreachable);

    public bool AnyWarning => Rows.Any(r => r.Status == PreflightStatus.Warning);
}

public sealed class PreflightChecker(CertificateVerifier verifier, TimeProvider time)
{
    public async Task<PreflightReport> RunAsync(PreflightRequest request, CancellationToken cancellationToken)
    {
        if (request.WarnRemaining is { } warn && warn < request.MinRemaining)
        {
            throw new UsageException("--warn-remaining must be at least --min-remaining (it is the softer, earlier margin).");
        }

        var rows = new List<PreflightRow>();
        foreach (var target in request.Targets)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rows.Add(await CheckOneAsync(target, request, cancellationToken));
        }

        return new PreflightReport(rows);
    }

    private async Task<PreflightRow> CheckOneAsync(string target, PreflightRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<X509Certificate> presented;
        NameExpectations? names = null;
        var purpose = CertificatePurpose.Any;
        if (target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var endpoint = TlsEndpoint.ParseEndpoint(target);
            try
            {
                var handshake = await TlsEndpoint.HandshakeAsync(endpoint, request.Timeout, null, cancellationToken);
                presented = handshake.Presented.Select(c => PkiObjectReader.ParseCertificate(c.RawData, target)).ToList();
            }
            catch (RemoteFailureException e)
            {
                return new PreflightRow(target, null, null, null, null, PreflightStatus.Unreachable, [e.Message]);
            }

            // A live endpoint is checked as what it is: a TLS server for that host name.
            names = System.Net.IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out _)
                ? new NameExpectations(IpAddress: endpoint.Host.Trim('[', ']'))
                : new NameExpectations(Host: endpoint.IdnHost);
            purpose = CertificatePurpose.Server;
        }
        else
        {
            presented = PkiObjectReader.ReadCertificates(target);
        }

        var now = time.GetUtcNow();
        var outcome = await verifier.VerifyAsync(
            new VerifyRequest(
                presented[0], request.TrustAnchors, [.. presented.Skip(1), .. request.Untrusted], [], now, purpose, names,
                request.Revocation, request.SoftFail, null, request.Crls),
            cancellationToken);

        var reasons = outcome.Failures.Select(f => $"{f.Check}: {(f.Subject is null ? string.Empty : f.Subject + ": ")}{f.Detail}").ToList();
        var status = reasons.Count > 0 ? PreflightStatus.Failed : PreflightStatus.Ok;
        var path = outcome.Path.Count > 0 ? outcome.Path : [CertificateDescriber.Describe(presented[0])];
        foreach (var certificate in path)
        {
            var left = certificate.NotAfter - now;
            if (left < request.MinRemaining)
            {
                status = PreflightStatus.Failed;
                reasons.Add($"expiry: {certificate.Subject} {(left <= TimeSpan.Zero ? "has expired" : $"expires in {Human(left)}")} (minimum {Durations.Format(request.MinRemaining)})");
            }
            else if (request.WarnRemaining is { } warnMargin && left < warnMargin)
            {
                if (status == PreflightStatus.Ok)
                {
                    status = PreflightStatus.Warning;
                }

                reasons.Add($"expiry: {certificate.Subject} expires in {Human(left)} (warning at {Durations.Format(warnMargin)})");
            }
        }

        foreach (var warning in outcome.Checks.Where(c => c.Status == CheckStatus.Warning))
        {
            if (status == PreflightStatus.Ok)
            {
                status = PreflightStatus.Warning;
            }

            reasons.Add($"{warning.Check}: {warning.Detail}");
        }

        var leaf = path[0];
        return new PreflightRow(target, leaf.Subject, leaf.Issuer, leaf.NotAfter, Math.Round((leaf.NotAfter - now).TotalDays, 2), status, reasons.Distinct().ToList());
    }

    private static string Human(TimeSpan value) =>
        value.TotalDays >= 2 ? $"{value.TotalDays:0.#}d" : value.TotalHours >= 2 ? $"{value.TotalHours:0.#}h" : $"{Math.Max(0, value.TotalMinutes):0}m";
}
