using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Policy;
using PipelinePki.Core.Signing;
using PipelinePki.Core.Validation;

namespace PipelinePki.Core.Audit;

/// <summary>The audit lines of <c>sign</c> (one per call) and <c>verify</c> (one per artifact).</summary>
public static class ArtifactAudit
{
    public static AuditEntry Signed(AuditActor actor, X509Certificate signer, string keyType, IReadOnlyList<SignedArtifact> signed)
    {
        var info = CertificateDescriber.Describe(signer);
        var stamped = signed.Count(s => s.TimestampTime is not null);
        return new AuditEntry(
            AuditActions.Sign, AuditOutcomes.Success, actor, info.Subject, [info.Serial], [info.Sha256Fingerprint],
            signed.Select(s => Path.GetFullPath(s.File)).ToList(), KeyType: keyType, Issuer: info.Issuer,
            Reason: $"{signed.Count} artifact(s) signed, {stamped} timestamped");
    }

    public static async Task RecordVerificationsAsync(
        AuditTrail audit, AuditActor actor, IReadOnlyList<ArtifactVerificationOutcome> outcomes, IReadOnlyList<PolicyEvaluation> evaluations, CancellationToken cancellationToken)
    {
        for (var i = 0; i < outcomes.Count; i++)
        {
            var outcome = outcomes[i];
            var violation = i < evaluations.Count ? evaluations[i].Violations.FirstOrDefault() : null;
            var failures = outcome.Checks.Where(c => c.Status == CheckStatus.Failed).Select(c => $"{c.Check}: {c.Detail}").ToList();
            var entry = new AuditEntry(
                AuditActions.Verify,
                violation is not null ? AuditOutcomes.Denied : outcome.IsValid ? AuditOutcomes.Success : AuditOutcomes.Failure,
                actor,
                outcome.Signer,
                Artifacts: [outcome.File],
                Rule: violation?.Rule,
                Reason: violation is not null ? violation.Detail : failures.Count > 0 ? string.Join("; ", failures) : null);
            await audit.RecordAsync(entry, cancellationToken);
        }
    }
}
