namespace PipelinePki.Ci.Platforms;

/// <summary><c>--ci none</c>, or no CI detected: the command's own output is all there is.</summary>
public sealed class LocalPlatform : ICiPlatform
{
    public CiPlatformKind Kind => CiPlatformKind.None;

    public void MaskSecret(string value)
    {
    }

    public void SetOutput(string name, string value, bool secret = false)
    {
    }

    public void ExportEnvironment(string name, string value, bool secret = false)
    {
    }

    public void SaveState(string name, string value)
    {
    }

    public void Annotate(CiAnnotation annotation)
    {
    }

    public void WriteSummary(CiSummary summary)
    {
    }
}
