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
        var (signaturePath, content) = LocateSignature(request);
        return SignatureFiles.IsSigstoreBundle(content)
            ? await VerifyBundleAsync(request, signaturePath, content, progress, cancellationToken)
            : await VerifyCmsAsync(request, signaturePath, content, progress, cancellationToken);
    }

    /// <summary>
    /// The signature to check: <c>--signature</c> when given (CMS or bundle, told apart by content), else
    /// <c>FILE.p7s</c>, else <c>FILE.sigstore.json</c>.
    /// </summary>
    private static (string Path, byte[] Content) LocateSignature(VerifyArtifactRequest request)
    {
        if (request.SignaturePath is { } given)
        {
            return (given, Certificates.PkiObjectReader.ReadFile(given));
        }

        var cms = request.File + SignatureFiles.CmsSuffix;
        var bundle = request.File + SignatureFiles.BundleSuffix;
        if (!File.Exists(cms) && File.Exists(bundle))
        {
            return (bundle, Certificates.PkiObjectReader.ReadFile(bundle));
        }

        if (!File.Exists(cms))
        {
            throw new BadInputException($"{Path.GetFullPath(cms)}: no signature found (nor {Path.GetFileName(bundle)}); sign the artifact first, or name its signature with --signature.");
        }

        return (cms, Certificates.PkiObjectReader.ReadFile(cms));
    }

    private async Task<ArtifactVerificationOutcome> VerifyCmsAsync(VerifyArtifactRequest request, string signaturePath, byte[] content, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var cms = CmsDetachedVerifier.Parse(content, signaturePath);
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

        IReadOnlyList<byte[]> tokens = cms.TimestampToken is { } token ? [token] : [];
        return await JudgeSignerAsync(request, signaturePath, cms.SignerCertificate, cms.Certificates, cms.SignatureValue, tokens, checks, cancellationToken);
    }

    /// <summary>
    /// A Sigstore v0.3 bundle, judged by the same rules as CMS: the artifact is hashed here and the
    /// signature checked over our digest (the bundle's messageDigest only has to agree with it), every
    /// RFC 3161 timestamp is verified. A bundle carries the leaf only, so intermediates come from --untrusted.
    /// </summary>
    private async Task<ArtifactVerificationOutcome> VerifyBundleAsync(VerifyArtifactRequest request, string signaturePath, byte[] content, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var bundle = Sigstore.SigstoreBundle.Parse(content, signaturePath);
        var signerCertificate = Certificates.PkiObjectReader.ParseCertificate(bundle.Certificate, signaturePath);
        var signer = CertificateDescriber.Describe(signerCertificate);
        var checks = new List<CheckResult>();

        var digest = await ArtifactDigest.ComputeFileAsync(request.File, bundle.DigestAlgorithm, progress, cancellationToken);
        var digestMatches = CryptographicOperations.FixedTimeEquals(bundle.ArtifactDigest, digest);
        checks.Add(digestMatches
            ? new CheckResult(Integrity, CheckStatus.Passed, $"{bundle.DigestAlgorithm.Name} digest matches the bundle's messageDigest")
            : new CheckResult(Integrity, CheckStatus.Failed, $"{request.File} does not match what was signed: it was modified, or this is another file"));
        var signatureProblem = DigestSignature.Verify(bundle.Certificate, digest, bundle.DigestAlgorithm, bundle.Signature);
        checks.Add(signatureProblem is null
            ? new CheckResult(Signature, CheckStatus.Passed, $"signature by {signer.Subject} verifies over the artifact's digest")
            : new CheckResult(Signature, CheckStatus.Failed, $"{signaturePath}: {signatureProblem}"));

        return await JudgeSignerAsync(request, signaturePath, signerCertificate, [], bundle.Signature, bundle.TimeStampResponses, checks, cancellationToken);
    }

    /// <summary>What CMS and bundles share: timestamps over the signature value, the signer's and TSAs' paths, the signing-time window, identity.</summary>
    private async Task<ArtifactVerificationOutcome> JudgeSignerAsync(
        VerifyArtifactRequest request,
        string signaturePath,
        X509Certificate signerCertificate,
        IReadOnlyList<X509Certificate> carried,
        byte[] signatureValue,
        IReadOnlyList<byte[]> tokens,
        List<CheckResult> checks,
        CancellationToken cancellationToken)
    {
        var signer = CertificateDescriber.Describe(signerCertificate);

        // Every timestamp is checked (a bad one is a tampering signal); the first valid one dates the signature.
        DateTimeOffset? stampedAt = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            var name = tokens.Count == 1 ? Timestamp : $"{Timestamp}[{i + 1}]";
            try
            {
                // Bundles carry whole TimeStampResp values, CMS the bare token: the same token either way.
                var tokenDer = CmsTimestampToken.Extract(tokens[i], signaturePath);
                var (hashOid, _) = CmsTimestampToken.ReadImprint(tokenDer);
                var hash = CmsOids.DigestFromOid(hashOid) ?? throw new NotValidException($"timestamp uses an unsupported hash {hashOid}");
                using var hasher = IncrementalHash.CreateHash(hash);
                hasher.AppendData(signatureValue);
                var stamp = TimestampVerifier.Verify(tokenDer, hasher.GetHashAndReset(), hash);
                var tsaOutcome = await verifier.VerifyAsync(
                    new VerifyRequest(stamp.TsaCertificate, request.TrustAnchors, [.. stamp.Certificates, .. carried, .. request.Untrusted], [],
                        stamp.GenTime, CertificatePurpose.TimeStamping, null, request.Revocation, request.SoftFail, null, request.Crls),
                    cancellationToken);
                if (tsaOutcome.IsValid)
                {
                    stampedAt ??= stamp.GenTime;
                    checks.Add(new CheckResult(name, CheckStatus.Passed, $"timestamped {stamp.GenTime:u} by {CertificateDescriber.FormatName(stamp.TsaCertificate.SubjectDN)}"));
                }
                else
                {
                    checks.Add(new CheckResult(name, CheckStatus.Failed, $"the timestamping authority is not trusted: {string.Join("; ", tsaOutcome.Failures.Select(f => $"{f.Check}: {f.Detail}"))}"));
                }
            }
            catch (Exception e) when (e is NotValidException or BadInputException or RemoteFailureException or System.Formats.Asn1.AsnContentException)
            {
                checks.Add(new CheckResult(name, CheckStatus.Failed, e is System.Formats.Asn1.AsnContentException ? $"{signaturePath}: the timestamp is not an RFC 3161 token ({e.Message})" : e.Message));
            }
        }

        if (tokens.Count == 0)
        {
            checks.Add(new CheckResult(Timestamp, CheckStatus.Skipped, "no timestamp: the signer's certificate must be valid now (or at --at)"));
        }

        var outcome = await verifier.VerifyAsync(
            new VerifyRequest(signerCertificate, request.TrustAnchors, [.. carried, .. request.Untrusted], [], stampedAt ?? request.At ?? time.GetUtcNow(),
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
