using System.Collections.Concurrent;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Validation.Ocsp;

namespace PipelinePki.Core.Validation;

/// <summary>
/// <c>cert verify</c>: builds candidate paths, validates each per RFC 5280 §6.1, checks revocation
/// of every certificate below the anchor (§6.3 CRLs, then RFC 6960 OCSP), and the leaf's purpose
/// and names. Returns one result per check; only the caller decides what a failure means.
/// One instance serves one run: fetched CRLs and OCSP answers are cached for its lifetime.
/// </summary>
public sealed class CertificateVerifier
{
    private readonly TimeProvider time;
    private readonly ICrlFetcher? crlFetcher;
    private readonly OcspChecker? ocsp;
    private readonly ConcurrentDictionary<Uri, Task<(CrlDocument? Crl, string? Problem)>> fetched = new();

    public CertificateVerifier(TimeProvider time, ICrlFetcher? crlFetcher = null, IOcspTransport? ocspTransport = null)
    {
        this.time = time;
        this.crlFetcher = crlFetcher;
        ocsp = ocspTransport is null ? null : new OcspChecker(ocspTransport, time);
    }

    public async Task<VerificationOutcome> VerifyAsync(VerifyRequest request, CancellationToken cancellationToken)
    {
        var at = (request.At ?? time.GetUtcNow()).UtcDateTime;
        var policy = request.Policy ?? PolicyOptions.Default;
        using var signatures = new SignatureVerifier();
        var paths = PathBuilder.Build(request.Leaf, request.TrustAnchors, request.Untrusted, at);
        var leafChecks = new List<CheckResult> { LeafChecks.Purpose(request.Leaf, request.Purpose) };
        leafChecks.AddRange(LeafChecks.Names(request.Leaf, request.Names));

        if (paths.Count == 0)
        {
            var issuer = CertificateDescriber.FormatName(request.Leaf.IssuerDN);
            var path = new CheckResult(
                CheckNames.PathBuilding,
                CheckStatus.Failed,
                $"no path to a trusted root: the issuer {issuer} is not among the --trust or --untrusted certificates (or none of those chain to a trust anchor)",
                0,
                CertificateFacts.Subject(request.Leaf));
            return Outcome([request.Leaf], [path, .. leafChecks], 0, []);
        }

        var crlPool = new List<CrlDocument>();
        crlPool.AddRange(request.Crls.Select((c, i) => CrlDocument.Parse(c.GetEncoded(), $"CRL #{i + 1} ({CertificateDescriber.FormatName(c.IssuerDN)})")));
        crlPool.AddRange((request.RawCrls ?? []).Select(c => CrlDocument.Parse(c.Der, c.Source)));

        (IReadOnlyList<X509Certificate> Path, PathVerdict Verdict, List<CheckResult> Revocation)? best = null;
        foreach (var path in paths)
        {
            var verdict = PathValidator.Validate(path, at, policy, signatures);
            if (!verdict.Passed)
            {
                if (best is null || (!best.Value.Verdict.Passed && Failures(verdict.Checks) < Failures(best.Value.Verdict.Checks)))
                {
                    best = (path, verdict, [new CheckResult(CheckNames.Revocation, CheckStatus.Skipped, "not checked: the path itself is not valid")]);
                }

                continue;
            }

            var revocation = await CheckRevocationAsync(path, request, crlPool, at, signatures, cancellationToken);
            if (best is null || !best.Value.Verdict.Passed || !Passed(best.Value.Revocation))
            {
                best = (path, verdict, revocation);
            }

            if (Passed(revocation))
            {
                break;
            }
        }

        var chosen = best!.Value;
        var pathCheck = new CheckResult(
            CheckNames.PathBuilding,
            CheckStatus.Passed,
            $"{chosen.Path.Count} certificate(s) to the trust anchor {CertificateFacts.Subject(chosen.Path[^1])}; {paths.Count} candidate path(s)",
            null,
            null);
        return Outcome(chosen.Path, [pathCheck, .. chosen.Verdict.Checks, .. chosen.Revocation, .. leafChecks], paths.Count, chosen.Verdict.ValidPolicies);
    }

    private async Task<List<CheckResult>> CheckRevocationAsync(
        IReadOnlyList<X509Certificate> path, VerifyRequest request, List<CrlDocument> crlPool, DateTime at, SignatureVerifier signatures, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>();
        if (request.Revocation == RevocationMode.None)
        {
            results.Add(new CheckResult(CheckNames.Revocation, CheckStatus.Skipped, "revocation checking disabled (--revocation none)"));
            return results;
        }

        var anchor = path[^1];
        var pool = request.Untrusted.Concat(request.TrustAnchors).ToList();
        var now = time.GetUtcNow().UtcDateTime;
        var freshAt = at > now ? at : now;
        for (var index = 0; index < path.Count - 1; index++)
        {
            var certificate = path[index];
            var issuer = path[index + 1];
            var subject = CertificateFacts.Subject(certificate);
            RevocationStatus status = new(RevocationState.Undetermined, "none", "no revocation source");
            var notes = new List<string>();

            if (request.Revocation is RevocationMode.Auto or RevocationMode.Crl)
            {
                var fetchProblems = await FetchMissingCrlsAsync(certificate, crlPool, cancellationToken);
                notes.AddRange(fetchProblems);
                status = new CrlRevocationChecker(crlPool, pool, signatures).Check(certificate, issuer, anchor, freshAt);
            }

            if (status.State == RevocationState.Undetermined && request.Revocation is RevocationMode.Auto or RevocationMode.Ocsp)
            {
                var responders = OcspResponders(certificate).ToList();
                if (responders.Count == 0)
                {
                    if (request.Revocation == RevocationMode.Ocsp)
                    {
                        status = new RevocationStatus(RevocationState.Undetermined, "ocsp", "the certificate names no OCSP responder (AIA)");
                    }
                }
                else if (ocsp is null)
                {
                    notes.Add("OCSP not available offline");
                }
                else
                {
                    var crlStatus = status;
                    foreach (var responder in responders)
                    {
                        status = await ocsp.CheckAsync(certificate, issuer, responder, new DateTimeOffset(freshAt, TimeSpan.Zero), cancellationToken);
                        if (status.State != RevocationState.Undetermined)
                        {
                            break;
                        }
                    }

                    if (status.State == RevocationState.Undetermined && request.Revocation == RevocationMode.Auto)
                    {
                        notes.Add(crlStatus.Detail);
                    }
                }
            }

            if (status.State == RevocationState.Revoked && status.RevokedAt is { } revokedAt && revokedAt.UtcDateTime > at
                && status.Reason is not ("keyCompromise" or "cACompromise" or "aACompromise"))
            {
                // Revoked only after the validation time, for a reason that does not reach back
                // (superseded, cessation…): at that time the certificate was good. This is what lets a
                // timestamped signature outlive a later, routine revocation.
                status = status with { State = RevocationState.Good, Detail = $"{status.Detail}, which is after the validation time {at:u}" };
            }

            var detail = notes.Count == 0 ? status.Detail : $"{status.Detail}; {string.Join("; ", notes)}";
            results.Add(status.State switch
            {
                RevocationState.Good => new CheckResult(CheckNames.Revocation, CheckStatus.Passed, $"{status.Method}: {detail}", index, subject),
                RevocationState.Revoked => new CheckResult(CheckNames.Revocation, CheckStatus.Failed, $"{status.Method}: {detail}", index, subject),
                _ => new CheckResult(
                    CheckNames.Revocation,
                    request.SoftFail ? CheckStatus.Warning : CheckStatus.Failed,
                    $"status unknown ({status.Method}): {detail}{(request.SoftFail ? " (accepted: --soft-fail)" : "; pass --soft-fail to accept, or supply a CRL with --crl")}",
                    index,
                    subject),
            });
        }

        return results;
    }

    /// <summary>Downloads the CRLs (and delta CRLs) a certificate points to, when no CRL in hand comes from its issuer.</summary>
    private async Task<List<string>> FetchMissingCrlsAsync(X509Certificate certificate, List<CrlDocument> crlPool, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (crlFetcher is null)
        {
            return problems;
        }

        var locations = new List<Uri>();
        if (!crlPool.Any(c => !c.IsDelta && c.Issuer.Equivalent(certificate.IssuerDN)))
        {
            locations.AddRange(CrlRevocationChecker.HttpLocations(certificate, X509Extensions.CrlDistributionPoints));
        }

        locations.AddRange(CrlRevocationChecker.HttpLocations(certificate, X509Extensions.FreshestCrl));
        foreach (var location in locations.Distinct())
        {
            var (crl, problem) = await fetched.GetOrAdd(location, uri => FetchAsync(uri, cancellationToken));
            if (crl is not null)
            {
                lock (crlPool)
                {
                    if (!crlPool.Contains(crl))
                    {
                        crlPool.Add(crl);
                    }
                }
            }
            else if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        return problems;
    }

    private async Task<(CrlDocument? Crl, string? Problem)> FetchAsync(Uri location, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = await crlFetcher!.FetchAsync(location, cancellationToken);
            var der = Pem.LooksLikePem(bytes) ? Pem.ReadAll(bytes).FirstOrDefault(b => b.Label == "X509 CRL")?.Der ?? [] : bytes;
            return (CrlDocument.Parse(der, location.ToString()), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException or BadInputException or IOException)
        {
            return (null, $"{location}: {e.Message.TrimEnd('.')}");
        }
    }

    private static IEnumerable<Uri> OcspResponders(X509Certificate certificate)
    {
        if (CertificateFacts.ExtensionValue(certificate, X509Extensions.AuthorityInfoAccess) is not { } value)
        {
            yield break;
        }

        foreach (var access in AuthorityInformationAccess.GetInstance(value).GetAccessDescriptions())
        {
            if (access.AccessMethod.Equals(AccessDescription.IdADOcsp)
                && access.AccessLocation.TagNo == GeneralName.UniformResourceIdentifier
                && Uri.TryCreate(Org.BouncyCastle.Asn1.DerIA5String.GetInstance(access.AccessLocation.Name).GetString(), UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                yield return uri;
            }
        }
    }

    private static VerificationOutcome Outcome(IReadOnlyList<X509Certificate> path, IReadOnlyList<CheckResult> checks, int candidates, IReadOnlyList<string> policies) =>
        new(checks.All(c => c.Status != CheckStatus.Failed), path.Select(CertificateDescriber.Describe).ToList(), checks, candidates, policies);

    private static int Failures(IReadOnlyList<CheckResult> checks) => checks.Count(c => c.Status == CheckStatus.Failed);

    private static bool Passed(IReadOnlyList<CheckResult> checks) => checks.All(c => c.Status != CheckStatus.Failed);
}
