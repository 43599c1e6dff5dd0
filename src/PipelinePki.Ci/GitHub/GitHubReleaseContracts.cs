namespace PipelinePki.Ci.GitHub;

/// <summary><c>publish github-release</c>: attach files to the release of a tag, optionally report a check run.</summary>
/// <param name="ApiUrl">https://api.github.com, or a GHES https://HOST/api/v3.</param>
/// <param name="Repository">owner/name.</param>
/// <param name="Create">Create the release when the tag has none (else that is an error).</param>
/// <param name="Replace">Delete an existing asset of the same name first (else that is an error).</param>
public sealed record GitHubReleaseRequest(
    Uri ApiUrl,
    string Repository,
    string Tag,
    IReadOnlyList<string> Files,
    bool Create,
    bool Replace,
    string? TargetCommitish,
    CheckRunRequest? CheckRun);

/// <summary>A completed check run on <see cref="HeadSha"/> carrying a verification outcome.</summary>
public sealed record CheckRunRequest(string Name, string HeadSha, bool Success, string Title, string Summary);

public sealed record UploadedAsset(string File, string Name, long Id, long Size, string? DownloadUrl, bool Replaced);

public sealed record CheckRunResult(long Id, string? HtmlUrl, string Conclusion);

public sealed record GitHubReleaseResult(
    string Repository,
    string Tag,
    long ReleaseId,
    string? HtmlUrl,
    bool Created,
    IReadOnlyList<UploadedAsset> Assets,
    CheckRunResult? CheckRun);
