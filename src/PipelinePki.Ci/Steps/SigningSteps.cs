using PipelinePki.Core.Signing;

namespace PipelinePki.Ci.Steps;

/// <summary><c>sign</c>: signatures (newline-separated paths of every signature and bundle written), manifestPath with --manifest.</summary>
public sealed record SignOutputs(IReadOnlyList<SignedArtifact> Signed, string? ManifestPath) : CiStepOutputs
{
    public override IReadOnlyList<KeyValuePair<string, string>> Outputs
    {
        get
        {
            var signatures = Signed.SelectMany(s => new[] { s.Signature, s.Bundle }).OfType<string>().Select(Path.GetFullPath);
            List<KeyValuePair<string, string>> outputs = [Output("signatures", string.Join('\n', signatures))];
            if (ManifestPath is not null)
            {
                outputs.Add(Output("manifestPath", Path.GetFullPath(ManifestPath)));
            }

            return outputs;
        }
    }

    public override CiSummary? Summary => new(
        "artifacts signed",
        $"{Signed.Count} artifact(s){(ManifestPath is null ? string.Empty : $" (manifest {ManifestPath})")}",
        ["Artifact", "Digest", "CMS signature", "Sigstore bundle", "Timestamp"],
        [.. Signed.Select(s => (IReadOnlyList<string>)[s.File, $"{s.DigestAlgorithm}:{s.Digest}", s.Signature ?? "", s.Bundle ?? "", s.TimestampTime is { } t ? Time(t) : "none"])],
        []);
}

/// <summary><c>verify</c>: outcome (valid|not-valid), signer (subject) and signedAt (the timestamp), one line per distinct value.</summary>
public sealed record VerifyOutputs(IReadOnlyList<ArtifactVerificationOutcome> Artifacts) : CiStepOutputs
{
    public bool IsValid => Artifacts.Count > 0 && Artifacts.All(a => a.IsValid);

    public override IReadOnlyList<KeyValuePair<string, string>> Outputs
    {
        get
        {
            List<KeyValuePair<string, string>> outputs = [Output("outcome", IsValid ? "valid" : "not-valid")];
            var signers = Artifacts.Select(a => a.Signer).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            if (signers.Count > 0)
            {
                outputs.Add(Output("signer", string.Join('\n', signers)));
            }

            var times = Artifacts.Select(a => a.TimestampTime).OfType<DateTimeOffset>().Select(Time).Distinct(StringComparer.Ordinal).ToList();
            if (times.Count > 0)
            {
                outputs.Add(Output("signedAt", string.Join('\n', times)));
            }

            return outputs;
        }
    }

    public override CiSummary? Summary => new(
        "signatures verified",
        IsValid ? $"✅ all {Artifacts.Count} signature(s) valid" : $"❌ {Artifacts.Count(a => !a.IsValid)} of {Artifacts.Count} signature(s) not valid",
        ["Artifact", "Outcome", "Signer", "Signed at", "Failed checks"],
        [.. Artifacts.Select(a => (IReadOnlyList<string>)[
            a.File,
            a.IsValid ? "valid" : "not valid",
            a.Signer ?? "",
            a.TimestampTime is { } t ? Time(t) : "",
            string.Join("; ", a.Checks.Where(c => c.Status == Core.Validation.CheckStatus.Failed).Select(c => $"{c.Check}: {c.Detail}"))])],
        []);
}
