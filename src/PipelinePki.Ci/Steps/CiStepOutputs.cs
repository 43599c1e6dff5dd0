namespace PipelinePki.Ci.Steps;

/// <summary>
/// What one command hands to the CI platform: named outputs (the contract the wrappers use,
/// camelCase, identical on GitHub and Azure, PIPELINE_PKI_UPPER_SNAKE on GitLab), environment
/// for later steps, post-step state and a summary. Outputs are paths and facts, never key material.
/// </summary>
public abstract record CiStepOutputs
{
    public abstract IReadOnlyList<KeyValuePair<string, string>> Outputs { get; }

    public virtual IReadOnlyList<KeyValuePair<string, string>> Environment => [];

    public virtual IReadOnlyList<KeyValuePair<string, string>> State => [];

    public virtual CiSummary? Summary => null;

    protected static KeyValuePair<string, string> Output(string name, string value) => new(name, value);

    protected static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    protected static string ShortSerial(string serial) => serial.Length > 16 ? serial[..16] + "…" : serial;
}
