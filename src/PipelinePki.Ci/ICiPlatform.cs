namespace PipelinePki.Ci;

/// <summary>
/// What a pipeline step can tell the CI platform running it. One implementation per platform;
/// where a platform lacks an ability (GitLab cannot mask at run time, only GitHub has step state
/// files) the member does the closest documented thing or nothing, never throws.
/// </summary>
public interface ICiPlatform
{
    CiPlatformKind Kind { get; }

    /// <summary>Registers a secret so the platform hides it in the log. Call before anything could print it.</summary>
    void MaskSecret(string value);

    /// <summary>A step output later steps read (GitHub <c>steps.X.outputs.name</c>, Azure <c>$(step.name)</c>, GitLab dotenv).</summary>
    void SetOutput(string name, string value, bool secret = false);

    /// <summary>An environment variable for the following steps of the same job.</summary>
    void ExportEnvironment(string name, string value, bool secret = false);

    /// <summary>A value only this action's post step (teardown) reads.</summary>
    void SaveState(string name, string value);

    void Annotate(CiAnnotation annotation);

    void WriteSummary(CiSummary summary);
}

public enum CiAnnotationLevel
{
    Warning,
    Error,
}

/// <summary>An error or warning shown on the run's page; <see cref="File"/> is repository-relative when known.</summary>
public sealed record CiAnnotation(CiAnnotationLevel Level, string Message, string? Title = null, string? File = null, int? Line = null);

/// <summary>One bar of the certificate validity chart.</summary>
public sealed record ValidityBar(string Section, string Label, DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// What a step did, as a table plus a validity timeline; each platform renders it its own way
/// (GitHub and Azure Markdown with a Mermaid gantt, GitLab a collapsible plain-text section).
/// </summary>
public sealed record CiSummary(
    string Title,
    string? Headline,
    IReadOnlyList<string> Columns,
    IReadOnlyList<IReadOnlyList<string>> Rows,
    IReadOnlyList<ValidityBar> Validity);

/// <summary>What every platform needs from the process: its environment, its two streams, the clock.</summary>
/// <param name="Output">stdout: only Azure's logging commands go here (the agent reads them from stdout).</param>
/// <param name="Error">stderr: GitHub workflow commands, GitLab sections and coloured lines.</param>
/// <param name="DotenvPath">GitLab: the dotenv file for <c>artifacts:reports:dotenv</c> (--dotenv or PIPELINE_PKI_DOTENV).</param>
public sealed record CiPlatformContext(
    Func<string, string?> GetVariable,
    TextWriter Output,
    TextWriter Error,
    TimeProvider Time,
    string? DotenvPath = null);
