using PipelinePki.Ci.GitHub;

namespace PipelinePki.Ci.Steps;

/// <summary><c>publish github-release</c>: releaseUrl, releaseId, assets (newline-separated download URLs) and checkRunUrl when one was created.</summary>
public sealed record GitHubReleaseOutputs(GitHubReleaseResult Result) : CiStepOutputs
{
    public override IReadOnlyList<KeyValuePair<string, string>> Outputs
    {
        get
        {
            List<KeyValuePair<string, string>> outputs =
            [
                Output("releaseUrl", Result.HtmlUrl ?? string.Empty),
                Output("releaseId", Result.ReleaseId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Output("assets", string.Join('\n', Result.Assets.Select(a => a.DownloadUrl ?? a.Name))),
            ];
            if (Result.CheckRun is { } run)
            {
                outputs.Add(Output("checkRunUrl", run.HtmlUrl ?? string.Empty));
            }

            return outputs;
        }
    }

    public override CiSummary? Summary => new(
        "release assets published",
        $"{Result.Repository} {Result.Tag}{(Result.Created ? " (release created)" : string.Empty)}: {Result.Assets.Count} asset(s)"
            + (Result.CheckRun is { } run ? $"; check run {run.Conclusion}" : string.Empty),
        ["Asset", "Size", "Replaced", "Download"],
        [.. Result.Assets.Select(a => (IReadOnlyList<string>)[a.Name, a.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Replaced ? "yes" : "no", a.DownloadUrl ?? ""])],
        []);
}
