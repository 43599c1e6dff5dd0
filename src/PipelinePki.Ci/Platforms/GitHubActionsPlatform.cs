using System.Security.Cryptography;
using System.Text;

namespace PipelinePki.Ci.Platforms;

/// <summary>
/// GitHub Actions: workflow commands (<c>::add-mask::</c>, <c>::error::</c>) on stderr, which the
/// runner reads like stdout, so <c>--format json</c> keeps stdout to its one document; outputs,
/// environment, state and summary through the runner's file commands.
/// </summary>
public sealed class GitHubActionsPlatform(CiPlatformContext context) : ICiPlatform
{
    /// <summary>GitHub's per-step summary limit; a larger file is dropped by the runner as a whole.</summary>
    public const int SummaryLimitBytes = 1024 * 1024;

    private readonly HashSet<string> missingFiles = new(StringComparer.Ordinal);

    public CiPlatformKind Kind => CiPlatformKind.GitHubActions;

    public void MaskSecret(string value)
    {
        // Each line too: the runner masks what it was given, and a multi-line secret is often printed a line at a time.
        foreach (var part in new[] { value }.Concat(value.Split('\n').Select(l => l.TrimEnd('\r'))).Where(p => p.Trim().Length > 0).Distinct(StringComparer.Ordinal))
        {
            WriteCommand($"::add-mask::{EscapeData(part)}");
        }
    }

    public void SetOutput(string name, string value, bool secret = false)
    {
        if (secret)
        {
            MaskSecret(value);
        }

        AppendFileCommand("GITHUB_OUTPUT", name, value);
    }

    public void ExportEnvironment(string name, string value, bool secret = false)
    {
        if (secret)
        {
            MaskSecret(value);
        }

        AppendFileCommand("GITHUB_ENV", name, value);
    }

    public void SaveState(string name, string value) => AppendFileCommand("GITHUB_STATE", name, value);

    public void Annotate(CiAnnotation annotation)
    {
        var properties = new List<string>();
        if (annotation.File is { Length: > 0 } file)
        {
            properties.Add($"file={EscapeProperty(file)}");
        }

        if (annotation.Line is { } line)
        {
            properties.Add($"line={line}");
        }

        if (annotation.Title is { Length: > 0 } title)
        {
            properties.Add($"title={EscapeProperty(title)}");
        }

        var kind = annotation.Level == CiAnnotationLevel.Error ? "error" : "warning";
        var head = properties.Count == 0 ? kind : $"{kind} {string.Join(',', properties)}";
        WriteCommand($"::{head}::{EscapeData(annotation.Message)}");
    }

    public void WriteSummary(CiSummary summary)
    {
        var markdown = SummaryRendering.Markdown(summary);
        if (FilePath("GITHUB_STEP_SUMMARY") is not { } path)
        {
            return;
        }

        var existing = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (existing + Encoding.UTF8.GetByteCount(markdown) > SummaryLimitBytes)
        {
            // Over the limit the runner shows no summary at all: keep what is there, say why this part is missing.
            context.Error.WriteLine($"pipeline-pki: warning: job summary not extended: it would exceed GitHub's {SummaryLimitBytes / 1024} KiB per step.");
            return;
        }

        File.AppendAllText(path, markdown, Utf8NoBom);
    }

    /// <summary>
    /// <c>name=value</c>, or for values with line breaks the heredoc form with a delimiter that is
    /// random (so a value cannot end the block early and inject further outputs) and checked against the value.
    /// </summary>
    public static string FormatFileCommand(string name, string value)
    {
        if (name.Contains('=') || name.Contains('\n') || name.Contains('\r') || name.Length == 0)
        {
            throw new ArgumentException($"'{name}' cannot be a GitHub output or variable name.", nameof(name));
        }

        if (!value.Contains('\n') && !value.Contains('\r'))
        {
            return $"{name}={value}\n";
        }

        string delimiter;
        do
        {
            delimiter = $"ghadelimiter_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
        }
        while (value.Contains(delimiter, StringComparison.Ordinal));

        return $"{name}<<{delimiter}\n{value}\n{delimiter}\n";
    }

    /// <summary>Workflow command data: the runner unescapes %25, %0D and %0A.</summary>
    public static string EscapeData(string value) =>
        value.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    /// <summary>Workflow command properties also escape the separators ':' and ','.</summary>
    public static string EscapeProperty(string value) =>
        EscapeData(value).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private void AppendFileCommand(string variable, string name, string value)
    {
        if (FilePath(variable) is { } path)
        {
            File.AppendAllText(path, FormatFileCommand(name, value), Utf8NoBom);
        }
    }

    private string? FilePath(string variable)
    {
        if (context.GetVariable(variable) is { Length: > 0 } path)
        {
            return path;
        }

        if (missingFiles.Add(variable))
        {
            context.Error.WriteLine($"pipeline-pki: note: {variable} is not set, so nothing was written to it (run inside a GitHub Actions step, or use --ci none).");
        }

        return null;
    }

    private void WriteCommand(string line)
    {
        context.Error.WriteLine(line);
        context.Error.Flush();
    }
}
