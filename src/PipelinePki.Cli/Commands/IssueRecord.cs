using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.IO;

namespace PipelinePki.Cli.Commands;

/// <summary>One <c>cert issue</c> option as the user typed it: its name and its values (none for a flag).</summary>
public sealed record RecordedOption(string Option, IReadOnlyList<string> Values);

/// <summary>What was asked for, in the terms of <see cref="IssueRequest"/>.</summary>
public sealed record RecordedRequest(string Name, IReadOnlyList<string> Sans, string Profile, string Ttl, string KeyType);

/// <summary>
/// <c>issue.json</c>, written by <c>cert issue</c> next to its outputs so <c>cert renew</c> can replay
/// the same command: the source and the options exactly as given (option names and values; secrets
/// never reach the command line, and anything named like a secret value is left out regardless),
/// plus the request and the serial it produced.
/// </summary>
public sealed record IssueRecord(
    int Version,
    string Source,
    IReadOnlyList<RecordedOption> Options,
    RecordedRequest Request,
    string Serial,
    DateTimeOffset IssuedAt)
{
    public const string FileName = "issue.json";

    /// <summary>Not replayed: renewal supplies its own output directory and rendering.</summary>
    private static readonly HashSet<string> NotRecorded = ["--out", "-o", "--format", "-f", "--verbose", "-v"];

    /// <summary>
    /// Option names that would carry a secret value (a token, a PIN, an HMAC key...). Names of
    /// environment variables and paths of files (<c>--token-env</c>, <c>--secret-id-file</c>) are fine.
    /// </summary>
    private static readonly Regex SecretLike = new(
        "(token|secret|password|passphrase|pass|pin|hmac|jwt|credential|private-key|api-key)(?!.*-(env|file|path|dir)$)",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    public static IReadOnlyList<RecordedOption> Capture(ParseResult parse)
    {
        var options = new List<RecordedOption>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult command)
            {
                continue;
            }

            foreach (var option in command.Children.OfType<OptionResult>())
            {
                var name = option.IdentifierToken?.Value ?? option.Option.Name;
                if (option.Implicit || NotRecorded.Contains(option.Option.Name) || IsSecretLike(option.Option.Name))
                {
                    continue;
                }

                options.Add(new RecordedOption(name, option.Tokens.Select(t => t.Value).ToList()));
            }
        }

        return options;
    }

    public static bool IsSecretLike(string optionName) => SecretLike.IsMatch(optionName.TrimStart('-'));

    /// <summary>The recorded options as arguments again, in the order they were given.</summary>
    public IEnumerable<string> Arguments() =>
        Options.SelectMany(o => o.Values.Count == 0 ? [o.Option] : o.Values.Select(v => $"{o.Option}={v}").ToArray());

    public static IssueRecord Create(ParseResult parse, string source, IssueRequest request, IssuedCertificate issued) => new(
        1,
        source,
        Capture(parse),
        new RecordedRequest(
            issued.Record.Subject.StartsWith("CN=", StringComparison.Ordinal) ? issued.Record.Subject[3..] : issued.Record.Subject,
            issued.Record.SubjectAlternativeNames,
            issued.Record.Profile,
            Durations.Format(request.Lifetime),
            issued.Record.KeyType),
        issued.Record.Serial,
        issued.Record.IssuedAt);

    public void Write(string directory) =>
        AtomicFile.Write(Path.Combine(directory, FileName), JsonSerializer.SerializeToUtf8Bytes(this, IssueRecordJson.Default.IssueRecord), secret: false);

    public static IssueRecord Read(string directory)
    {
        var path = Path.GetFullPath(Path.Combine(directory, FileName));
        if (!File.Exists(path))
        {
            throw new BadInputException($"{path}: no record of how this certificate was issued; issue it again with 'cert issue --out {directory}' (which writes {FileName}), then renew.");
        }

        try
        {
            var record = JsonSerializer.Deserialize(File.ReadAllBytes(path), IssueRecordJson.Default.IssueRecord);
            return record is { Version: 1, Options: not null, Source: not null }
                ? record
                : throw new BadInputException($"{path}: not an issue record this version understands (version 1 expected); issue the certificate again.");
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{path}: not valid JSON ({e.Message}); issue the certificate again.", e);
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(IssueRecord))]
internal sealed partial class IssueRecordJson : JsonSerializerContext;
