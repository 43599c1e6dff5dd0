using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Signing.Cms;
using PipelinePki.Core.Signing.Timestamping;
using PipelinePki.Core.Validation;

namespace PipelinePki.Core.Signing;

public sealed record VerifyArtifactRequest(
    string File,
    string? SignaturePath,
    IReadOnlyList<X509Certificate> TrustAnchors,
    IReadOnlyList<X509Certificate> Untrusted,
    IReadOnlyList<(byte[] Der, string Source)> Crls,
    RevocationMode Revocation,
    bool SoftFail,
    DateTimeOffset? At,
    string? IdentityPattern);

/// <summary>One artifact's verdict: one result per check, like <c>cert verify</c>.</summary>
public sealed record ArtifactVerificationOutcome(
    string File,
    string Signature,
    bool IsValid,
    string? Signer,
    IReadOnlyList<string> SignerNames,
    DateTimeOffset? TimestampTime,
    IReadOnlyList<CheckResult> Checks);

/// <summary>
/// <c>verify</c>: integrity (the artifact's digest), the CMS signature, the signer's path (the same
/// engine as <c>cert verify</c>, with codeSigning and revocation), the RFC 3161 timestamp and its
/// TSA path, that the signing time falls inside the signer certificate's validity, and identity.
/// With a valid timestamp the signer's path is judged at the timestamp's time, which is how a
/// signature outlives its 24 h certificate; without one it is judged now (or at --at).
/// </summary>
public sealed class ArtifactVerifier(CertificateVerifier verifier, TimeProvider time)
{
    public const string Integrity = "integrity";
    public const string Signature = "signature";
    public const string SignerPath = "signer";
    public const string Timestamp = "timestamp";
    public const string SigningTime = "signing-time";
    public const string Identity = "identity";

    public async Task<ArtifactVerificationOutcome> VerifyAsync(VerifyArtifactRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var signaturePath = request.SignaturePath ?? request.File + ".p7s";
        var cms = CmsDetachedVerifier.Parse(Certificates.PkiObjectReader.ReadFile(signaturePath), signaturePath);
        var checks = new List<CheckResult>();
        var signer = CertificateDescriber.Describe(cms.SignerCertificate);

        var digest = await ArtifactDigest.ComputeFileAsync(request.File, cms.DigestAlgorithm, progress, cancellationToken);
        var signatureOk = CmsDetachedVerifier.SignatureValid(cms, digest, out var problem);
        var integrityProblem = signatureOk ? null : problem;
        var digestMatches = cms.MessageDigest is { } md && CryptographicOperations.FixedTimeEquals(md, digest);
        checks.Add(digestMatches
            ? new CheckResult(Integrity, CheckStatus.Passed, $"{cms.DigestAlgorithm.Name} digest matches the signed digest")
            : new CheckResult(Integrity, CheckStatus.Failed, $"{request.File} does not match what was signed: it was modified, or this is another file"));
        checks.Add(signatureOk
            ? new CheckResult(Signature, CheckStatus.Passed, $"signature by {signer.Subject} verifies")
            : new CheckResult(Signature, digestMatches ? CheckStatus.Failed : CheckStatus.Skipped, digestMatches ? $"{signaturePath}: {integrityProblem}" : "not checked: the content does not match"));

        // The timestamp: over the signature value (RFC 3161 Appendix A), by a TSA that chains to a trust anchor.
        DateTimeOffset? stampedAt = null;
        if (cms.TimestampToken is { } token)
        {
            try
            {
                var (hashOid, _) = CmsTimestampToken.ReadImprint(token);
                var hash = CmsOids.DigestFromOid(hashOid) ?? throw new NotValidException($"timestamp uses an unsupported hash {hashOid}");
                using var hasher = IncrementalHash.CreateHash(hash);
                hasher.AppendData(cms.SignatureValue);
                var stamp = TimestampVerifier.Verify(token, hasher.GetHashAndReset(), hash);
                var tsaOutcome = await verifier.VerifyAsync(
                    new VerifyRequest(stamp.TsaCertificate, request.TrustAnchors, [.. stamp.Certificates, .. cms.Certificates, .. request.Untrusted], [],
                        stamp.GenTime, CertificatePurpose.TimeStamping, null, request.Revocation, request.SoftFail, null, request.Crls),
                    cancellationToken);
                if (tsaOutcome.IsValid)
                {
                    stampedAt = stamp.GenTime;
                    checks.Add(new CheckResult(Timestamp, CheckStatus.Passed, $"timestamped {stamp.GenTime:u} by {CertificateDescriber.FormatName(stamp.TsaCertificate.SubjectDN)}"));
                }
                else
                {
                    checks.Add(new CheckResult(Timestamp, CheckStatus.Failed, $"the timestamping authority is not trusted: {string.Join("; ", tsaOutcome.Failures.Select(f => $"{f.Check}: {f.Detail}"))}"));
                }
            }
            catch (Exception e) when (e is NotValidException or BadInputException)
            {
                checks.Add(new CheckResult(Timestamp, CheckStatus.Failed, e.Message));
            }
        }
        else
        {
            checks.Add(new CheckResult(Timestamp, CheckStatus.Skipped, "no timestamp: the signer's certificate must be valid now (or at --at)"));
        }

        var at = request.At ?? stampedAt ?? time.GetUtcNow();
        var outcome = await verifier.VerifyAsync(
            new VerifyRequest(cms.SignerCertificate, request.TrustAnchors, [.. cms.Certificates, .. request.Untrusted], [], stampedAt ?? request.At,
                CertificatePurpose.CodeSigning, null, request.Revocation, request.SoftFail, null, request.Crls),
            cancellationToken);
        foreach (var check in outcome.Checks.Where(c => c.Status != CheckStatus.Passed || c.Check is CheckNames.PathBuilding))
        {
            checks.Add(check with { Check = $"{SignerPath}.{check.Check}" });
        }

        if (stampedAt is { } signedAt)
        {
            var inside = signer.NotBefore <= signedAt && signedAt <= signer.NotAfter;
            checks.Add(new CheckResult(
                SigningTime,
                inside ? CheckStatus.Passed : CheckStatus.Failed,
                inside ? $"signed {signedAt:u}, inside the certificate's validity" : $"signed {signedAt:u}, outside the certificate's validity ({signer.NotBefore:u} to {signer.NotAfter:u})"));
        }

        if (request.IdentityPattern is { } pattern)
        {
            checks.Add(IdentityCheck(signer, pattern));
        }

        return new ArtifactVerificationOutcome(
            Path.GetFullPath(request.File),
            Path.GetFullPath(signaturePath),
            checks.All(c => c.Status != CheckStatus.Failed),
            signer.Subject,
            signer.SubjectAlternativeNames,
            stampedAt,
            checks);
    }

    /// <summary>The identity regex must match a whole SAN value (URI first, as Sigstore does, then email and DNS).</summary>
    private static CheckResult IdentityCheck(CertificateInfo signer, string pattern)
    {
        Regex regex;
        try
        {
            regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--identity: '{pattern}' is not a regular expression ({e.Message}).");
        }

        var values = signer.SubjectAlternativeNames
            .OrderBy(n => n.StartsWith("uri:", StringComparison.Ordinal) ? 0 : n.StartsWith("email:", StringComparison.Ordinal) ? 1 : 2)
            .Select(n => n[(n.IndexOf(':', StringComparison.Ordinal) + 1)..])
            .ToList();
        var match = values.FirstOrDefault(v => regex.IsMatch(v));
        return match is not null
            ? new CheckResult(Identity, CheckStatus.Passed, $"{match} matches {pattern}")
            : new CheckResult(Identity, CheckStatus.Failed, $"no name of the signer matches {pattern} (names: {(values.Count == 0 ? "none" : string.Join(", ", values))})");
    }
}
