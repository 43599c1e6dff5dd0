using System.Text.Json.Serialization;

namespace PipelinePki.Ci.GitHub;

/// <summary>The fields of GitHub's REST objects this tool reads (https://docs.github.com/rest/releases).</summary>
public sealed record GitHubRelease(long Id, string TagName, string? HtmlUrl, string? UploadUrl);

public sealed record GitHubReleaseAsset(long Id, string Name, long Size, string? BrowserDownloadUrl);

public sealed record GitHubCheckRun(long Id, string? HtmlUrl, string? Conclusion);

public sealed record GitHubErrorBody(string? Message, string? DocumentationUrl);

public sealed record CreateReleaseBody(string TagName, string Name, string? TargetCommitish, bool Draft, bool Prerelease);

public sealed record CheckRunOutputBody(string Title, string Summary);

public sealed record CreateCheckRunBody(string Name, string HeadSha, string Status, string Conclusion, DateTimeOffset CompletedAt, CheckRunOutputBody Output);

/// <summary>Source-generated: reflection-based JSON does not survive the native AOT publish.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GitHubRelease))]
[JsonSerializable(typeof(List<GitHubReleaseAsset>))]
[JsonSerializable(typeof(GitHubReleaseAsset))]
[JsonSerializable(typeof(GitHubCheckRun))]
[JsonSerializable(typeof(GitHubErrorBody))]
[JsonSerializable(typeof(CreateReleaseBody))]
[JsonSerializable(typeof(CreateCheckRunBody))]
public sealed partial class GitHubJson : JsonSerializerContext;
