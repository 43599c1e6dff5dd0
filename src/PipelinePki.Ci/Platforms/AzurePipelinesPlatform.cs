using System.Security.Cryptography;
using System.Text;

namespace PipelinePki.Ci.Platforms;

/// <summary>
/// Azure Pipelines: logging commands (<c>##vso[…]</c>) on stdout, the only stream the agent is
/// documented to read them from. They are lines of their own, so a consumer of
/// <c>--format json</c> on Azure skips lines starting with <c>##vso[</c>.
/// </summary>
public sealed class AzurePipelinesPlatform(CiPlatformContext context) : ICiPlatform
{
    public CiPlatformKind Kind => CiPlatformKind.AzurePipelines;

    public void MaskSecret(string value)
    {
        foreach (var part in new[] { value }.Concat(value.Split('\n').Select(l => l.TrimEnd('\r'))).Where(p => p.Trim().Length > 0).Distinct(StringComparer.Ordinal))
        {
            Command("task.setsecret", [], part);
        }
    }

    public void SetOutput(string name, string value, bool secret = false) =>
        Command("task.setvariable", [("variable", name), ("isOutput", "true"), .. Secret(secret)], value);

    public void ExportEnvironment(string name, string value, bool secret = false) =>
        Command("task.setvariable", [("variable", name), .. Secret(secret)], value);

    /// <summary>A task variable: visible to this task's own post-job execution only, Azure's equivalent of step state.</summary>
    public void SaveState(string name, string value) => Command("task.settaskvariable", [("variable", name)], value);

    public void Annotate(CiAnnotation annotation)
    {
        List<(string, string)> properties = [("type", annotation.Level == CiAnnotationLevel.Error ? "error" : "warning")];
        if (annotation.File is { Length: > 0 } file)
        {
            properties.Add(("sourcepath", file));
        }

        if (annotation.Line is { } line)
        {
            properties.Add(("linenumber", line.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Command("task.logissue", properties, annotation.Message);
    }

    public void WriteSummary(CiSummary summary)
    {
        var directory = context.GetVariable("AGENT_TEMPDIRECTORY") is { Length: > 0 } agentTemp ? agentTemp : Path.GetTempPath();
        var path = Path.Combine(directory, $"pipeline-pki-{Slug(summary.Title)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.md");
        File.WriteAllText(path, SummaryRendering.Markdown(summary), new UTF8Encoding(false));
        Command("task.uploadsummary", [], path);
    }

    /// <summary>The agent's escaping for property values (azure-pipelines-task-lib <c>escape</c>).</summary>
    public static string EscapeProperty(string value) =>
        EscapeData(value).Replace("]", "%5D", StringComparison.Ordinal).Replace(";", "%3B", StringComparison.Ordinal);

    /// <summary>The agent's escaping for the message part (azure-pipelines-task-lib <c>escapedata</c>).</summary>
    public static string EscapeData(string value) =>
        value.Replace("%", "%AZP25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static IEnumerable<(string, string)> Secret(bool secret) => secret ? [("issecret", "true")] : [];

    private static string Slug(string title) =>
        string.Concat(title.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')).Trim('-');

    private void Command(string area, IEnumerable<(string Name, string Value)> properties, string data)
    {
        var text = string.Join(';', properties.Select(p => $"{p.Name}={EscapeProperty(p.Value)}"));
        context.Output.WriteLine($"##vso[{area}{(text.Length > 0 ? " " + text : string.Empty)}]{EscapeData(data)}");
        context.Output.Flush();
    }
}
