using PipelinePki.Ci.Steps;

namespace PipelinePki.Ci;

/// <summary>
/// The one call a command makes after its core call: hand the platform the step's outputs,
/// environment, state and summary. Commands know nothing of any platform.
/// </summary>
public sealed class CiPublisher(ICiPlatform platform)
{
    public ICiPlatform Platform => platform;

    public void Publish(CiStepOutputs step)
    {
        foreach (var (name, value) in step.Outputs)
        {
            platform.SetOutput(name, value);
        }

        foreach (var (name, value) in step.Environment)
        {
            platform.ExportEnvironment(name, value);
        }

        foreach (var (name, value) in step.State)
        {
            platform.SaveState(name, value);
        }

        if (step.Summary is { } summary)
        {
            platform.WriteSummary(summary);
        }
    }

    /// <summary>The hook for <c>mtls setup</c>: its state directory and the variables later steps need.</summary>
    public void PublishMtlsSetup(string stateDirectory, IReadOnlyDictionary<string, string> environment) =>
        Publish(new MtlsSetupOutputs(stateDirectory, environment));

    /// <summary>Registers each secret with the platform before the command could print any of them.</summary>
    public void MaskSecrets(IEnumerable<string> secrets)
    {
        foreach (var secret in secrets.Where(s => s.Trim().Length > 0).Distinct(StringComparer.Ordinal))
        {
            platform.MaskSecret(secret);
        }
    }
}
