using Org.BouncyCastle.X509;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Signing.Cms;
using PipelinePki.Core.Validation;

namespace PipelinePki.Core.Policy;

/// <summary>
/// Where policies meet commands. Issuance is judged on the request itself, before any source is
/// contacted; certificates and artifact signers are judged on the path our own engine builds
/// (revocation is not re-checked here: the command's own verification does that).
/// </summary>
public sealed class PolicyGate(CertificateVerifier verifier, TimeProvider time)
{
    /// <summary>Refuses (exit 5, the rule's name) a request the policy does not allow; every source goes through this.</summary>
    public static PolicyEvaluation CheckIssuance(PolicyDocument policy, IssueRequest request)
    {
        var facts = IssuanceFacts.FromRequest(request);
        var target = string.IsNullOrWhiteSpace(facts.CommonName) ? "the request" : $"CN={facts.CommonName}";
        return PolicyEvaluator.EvaluateIssuance(policy, facts, target);
    }

    /// <summary>Adjusts a verification to the policy's revocation rule: soft-fail and off are applied; required is judged, never weakened.</summary>
    public static (RevocationMode Mode, bool SoftFail) Revocation(PolicyDocument? policy, RevocationMode mode, bool softFail) =>
        policy?.Verification.Revocation switch
        {
            RevocationRequirement.SoftFail => (mode == RevocationMode.None ? RevocationMode.Auto : mode, true),
            RevocationRequirement.Off => (RevocationMode.None, softFail),
            _ => (mode, softFail),
        };

    public async Task<PolicyEvaluation> CheckCertificateAsync(
        PolicyDocument policy,
        X509Certificate leaf,
        IReadOnlyList<X509Certificate> anchors,
        IReadOnlyList<X509Certificate> untrusted,
        DateTimeOffset? at,
        RevocationChecking? revocation,
        string target,
        CancellationToken cancellationToken)
    {
        var when = at ?? time.GetUtcNow();
        var path = await PathAsync(leaf, anchors, untrusted, when, CertificatePurpose.Any, cancellationToken);
        return PolicyEvaluator.EvaluateVerification(policy, new VerificationFacts(CertificateDescriber.Describe(leaf), path, when, null, revocation), target);
    }

    /// <summary>An artifact's signer (read from FILE.p7s or the given signature) judged at its timestamp's time, or now.</summary>
    public async Task<PolicyEvaluation> CheckArtifactAsync(
        PolicyDocument policy,
        string artifact,
        string? signaturePath,
        IReadOnlyList<X509Certificate> anchors,
        IReadOnlyList<X509Certificate> untrusted,
        DateTimeOffset? signedAt,
        RevocationChecking? revocation,
        CancellationToken cancellationToken)
    {
        var signature = signaturePath ?? artifact + ".p7s";
        var cms = CmsDetachedVerifier.Parse(PkiObjectReader.ReadFile(signature), signature);
        var when = signedAt ?? time.GetUtcNow();
        var path = await PathAsync(cms.SignerCertificate, anchors, [.. cms.Certificates, .. untrusted], when, CertificatePurpose.CodeSigning, cancellationToken);
        return PolicyEvaluator.EvaluateVerification(
            policy, new VerificationFacts(CertificateDescriber.Describe(cms.SignerCertificate), path, when, artifact, revocation), artifact);
    }

    private async Task<IReadOnlyList<CertificateInfo>> PathAsync(
        X509Certificate leaf, IReadOnlyList<X509Certificate> anchors, IReadOnlyList<X509Certificate> untrusted, DateTimeOffset at, CertificatePurpose purpose, CancellationToken cancellationToken)
    {
        if (anchors.Count == 0)
        {
            // Without anchors there is no path; the rules that need one say so.
            return [CertificateDescriber.Describe(leaf), .. untrusted.Select(CertificateDescriber.Describe)];
        }

        var outcome = await verifier.VerifyAsync(
            new VerifyRequest(leaf, anchors, untrusted, [], at, purpose, null, RevocationMode.None), cancellationToken);
        return outcome.Path.Count > 0 ? outcome.Path : [CertificateDescriber.Describe(leaf)];
    }
}
