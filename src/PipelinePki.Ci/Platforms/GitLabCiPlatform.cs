using System.Text;
using PipelinePki.Core.IO;

namespace PipelinePki.Ci.Platforms;

/// <summary>
/// GitLab CI: outputs and environment go to a dotenv file that the job publishes with
/// <c>artifacts:reports:dotenv</c>; errors are coloured lines and the summary a collapsible log
/// section, both on stderr. GitLab masks only variables defined before the job starts, so a
/// secret is never written anywhere.
/// </summary>
public sealed class GitLabCiPlatform(CiPlatformContext context) : ICiPlatform
{
    private const string Red = "\e[31;1m";
    private const string Yellow = "\e[33;1m";
    private const string Reset = "\e[0m";
    private const string ClearLine = "\e[0K";

    public CiPlatformKind Kind => CiPlatformKind.GitLabCi;

    /// <summary>Nothing to call: GitLab has no run-time masking. The callers never print secrets in the first place.</summary>
    public void MaskSecret(string value)
    {
    }

    public void SetOutput(string name, string value, bool secret = false) => WriteDotenv(CiPlatforms.DotenvKey(name), value, secret);

    public void ExportEnvironment(string name, string value, bool secret = false) => WriteDotenv(name, value, secret);

    /// <summary>No post step exists on GitLab; teardown reads the state from the dotenv outputs instead.</summary>
    public void SaveState(string name, string value)
    {
    }

    public void Annotate(CiAnnotation annotation)
    {
        var (colour, label) = annotation.Level == CiAnnotationLevel.Error ? (Red, "ERROR") : (Yellow, "WARNING");
        var where = annotation.File is { Length: > 0 } file ? $"{file}{(annotation.Line is { } line ? $":{line}" : string.Empty)}: " : string.Empty;
        context.Error.WriteLine($"{colour}{label}: {where}{annotation.Message.ReplaceLineEndings(" ")}{Reset}");
    }

    public void WriteSummary(CiSummary summary)
    {
        var stamp = context.Time.GetUtcNow().ToUnixTimeSeconds();
        var section = "pipeline_pki_" + string.Concat(summary.Title.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));
        var text = new StringBuilder();
        text.Append($"{ClearLine}section_start:{stamp}:{section}[collapsed=true]\r{ClearLine}pipeline-pki: {summary.Title}\n");
        text.Append(SummaryRendering.PlainText(summary));
        text.Append($"{ClearLine}section_end:{stamp}:{section}\r{ClearLine}\n");
        context.Error.Write(text.ToString());
        context.Error.Flush();
    }

    /// <summary>
    /// One <c>KEY=VALUE</c> line per key, replacing an earlier value of the same key (several
    /// commands in one job share the file). GitLab's dotenv has no multi-line values: line breaks
    /// become spaces, so a list of paths reads as a shell word list.
    /// </summary>
    private void WriteDotenv(string key, string value, bool secret)
    {
        if (secret)
        {
            context.Error.WriteLine($"pipeline-pki: note: {key} is secret and GitLab cannot mask it at run time, so it is not written to the dotenv file.");
            return;
        }

        var path = context.DotenvPath ?? (context.GetVariable(CiPlatforms.DotenvVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        if (path is null)
        {
            return;
        }

        var flat = string.Join(' ', value.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var lines = File.Exists(path)
            ? File.ReadAllLines(path).Where(l => !l.StartsWith(key + "=", StringComparison.Ordinal)).ToList()
            : [];
        lines.Add($"{key}={flat}");
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        AtomicFile.WriteText(path, string.Join('\n', lines) + "\n", secret: false);
    }
}
