using System.Text;
using System.Text.Json;
using PipelinePki.Core;

namespace PipelinePki.Ci.GitHub;

/// <summary>
/// Reads the JSON that <c>verify --format json</c> or <c>cert verify --format json</c> wrote, for a
/// check run: the overall <c>isValid</c> and a Markdown summary of each artifact's checks.
/// </summary>
public static class VerificationReport
{
    public static (bool IsValid, string Summary) Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new BadInputException($"{path}: not a readable verification result ({e.GetType().Name}); write it with 'verify --format json > FILE'.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("isValid", out var valid) || valid.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new BadInputException($"{path}: no 'isValid' field; give the output of 'verify --format json' or 'cert verify --format json'.");
            }

            var summary = new StringBuilder();
            if (root.TryGetProperty("artifacts", out var artifacts) && artifacts.ValueKind == JsonValueKind.Array)
            {
                summary.Append("| Artifact | Outcome | Signer | Failed checks |\n| --- | --- | --- | --- |\n");
                foreach (var artifact in artifacts.EnumerateArray())
                {
                    summary.Append($"| {Text(artifact, "file")} | {(artifact.TryGetProperty("isValid", out var v) && v.ValueKind == JsonValueKind.True ? "valid" : "not valid")} | {Text(artifact, "signer")} | {FailedChecks(artifact)} |\n");
                }
            }
            else
            {
                summary.Append(FailedChecks(root) is { Length: > 0 } failed ? $"Failed checks: {failed}\n" : "All checks passed.\n");
            }

            return (valid.ValueKind == JsonValueKind.True, summary.ToString());
        }
    }

    private static string FailedChecks(JsonElement element) =>
        element.TryGetProperty("checks", out var checks) && checks.ValueKind == JsonValueKind.Array
            ? string.Join("; ", checks.EnumerateArray()
                .Where(c => c.TryGetProperty("status", out var s) && s.GetString() == "Failed")
                .Select(c => $"{Text(c, "check")}: {Text(c, "detail")}"))
            : string.Empty;

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ")
            : string.Empty;
}
