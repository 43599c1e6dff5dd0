using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using PipelinePki.Core;

namespace PipelinePki.Ci.GitHub;

/// <summary>
/// Attaches files to a GitHub release over the documented REST endpoints: get the release by
/// tag (or create it), list its assets, delete the ones being replaced, upload each file, and
/// optionally create a completed check run. Plain HttpClient with source-generated JSON:
/// Octokit 14 fails the native AOT publish and crashes in an AOT binary.
/// </summary>
public sealed class GitHubReleasePublisher(HttpClient http, string token, TimeProvider time)
{
    public const string ApiVersion = "2022-11-28";
    private const int Attempts = 3;

    public async Task<GitHubReleaseResult> PublishAsync(GitHubReleaseRequest request, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var names = request.Files.Select(f => (File: f, Name: AssetName(f))).ToList();
        if (names.GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1) is { } clash)
        {
            throw new UsageException($"two files would both become the release asset '{clash.Key}' ({string.Join(", ", clash.Select(c => c.File))}); rename one.");
        }

        foreach (var (file, _) in names)
        {
            if (!File.Exists(file))
            {
                throw new BadInputException($"{file}: no such file to attach to release {request.Tag}.");
            }
        }

        var repository = RepositoryPath(request.Repository);
        var api = request.ApiUrl.AbsoluteUri.TrimEnd('/');
        var (release, created) = await FindOrCreateReleaseAsync(api, repository, request, cancellationToken);
        var existing = await ListAssetsAsync(api, repository, release.Id, cancellationToken);

        // Every conflict is found before anything changes: a refused run leaves the release as it was.
        var conflicts = names.Where(n => existing.ContainsKey(n.Name)).Select(n => n.Name).ToList();
        if (conflicts.Count > 0 && !request.Replace)
        {
            throw new BadInputException(
                $"release {request.Tag} of {request.Repository} already has {string.Join(", ", conflicts)}; pass --replace to overwrite, or attach under another name.");
        }

        var uploadBase = UploadBase(release, request.ApiUrl);
        var uploaded = new List<UploadedAsset>();
        foreach (var (file, name) in names)
        {
            var replaced = false;
            if (existing.TryGetValue(name, out var old))
            {
                await SendAsync(HttpMethod.Delete, $"{api}{repository}/releases/assets/{old.Id}", null, idempotent: true, cancellationToken);
                replaced = true;
            }

            progress?.Report($"uploading {name} ({new FileInfo(file).Length} bytes)");
            var asset = await UploadAsync($"{uploadBase}{repository}/releases/{release.Id}/assets?name={Uri.EscapeDataString(name)}", file, cancellationToken);
            uploaded.Add(new UploadedAsset(Path.GetFullPath(file), asset.Name, asset.Id, asset.Size, asset.BrowserDownloadUrl, replaced));
        }

        CheckRunResult? checkRun = null;
        if (request.CheckRun is { } run)
        {
            var conclusion = run.Success ? "success" : "failure";
            var body = new CreateCheckRunBody(run.Name, run.HeadSha, "completed", conclusion, time.GetUtcNow(), new CheckRunOutputBody(run.Title, run.Summary));
            using var response = await SendAsync(HttpMethod.Post, $"{api}{repository}/check-runs", JsonContent.Create(body, GitHubJson.Default.CreateCheckRunBody), idempotent: false, cancellationToken);
            var reported = await ReadAsync(response, GitHubJson.Default.GitHubCheckRun, cancellationToken);
            checkRun = new CheckRunResult(reported.Id, reported.HtmlUrl, conclusion);
        }

        return new GitHubReleaseResult(request.Repository, request.Tag, release.Id, release.HtmlUrl, created, uploaded, checkRun);
    }

    /// <summary>GitHub's upload host: the release's own upload_url when given, else uploads.github.com or GHES's /api/uploads.</summary>
    public static string UploadBase(GitHubRelease release, Uri apiUrl)
    {
        if (release.UploadUrl is { Length: > 0 } template && template.IndexOf("/repos/", StringComparison.Ordinal) is var at and > 0)
        {
            return template[..at];
        }

        var api = apiUrl.AbsoluteUri.TrimEnd('/');
        if (apiUrl.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase))
        {
            return "https://uploads.github.com";
        }

        return api.EndsWith("/api/v3", StringComparison.OrdinalIgnoreCase) ? api[..^"/v3".Length] + "/uploads" : api;
    }

    private static string AssetName(string file) => Path.GetFileName(file);

    private static string RepositoryPath(string repository)
    {
        var parts = repository.Split('/');
        if (parts.Length != 2 || parts.Any(p => p.Length == 0))
        {
            throw new UsageException($"--repo: '{repository}' is not owner/name (default $GITHUB_REPOSITORY).");
        }

        return $"/repos/{Uri.EscapeDataString(parts[0])}/{Uri.EscapeDataString(parts[1])}";
    }

    private async Task<(GitHubRelease Release, bool Created)> FindOrCreateReleaseAsync(string api, string repository, GitHubReleaseRequest request, CancellationToken cancellationToken)
    {
        var byTag = $"{api}{repository}/releases/tags/{Uri.EscapeDataString(request.Tag)}";
        using (var response = await SendAsync(HttpMethod.Get, byTag, null, idempotent: true, cancellationToken, allowNotFound: true))
        {
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                return (await ReadAsync(response, GitHubJson.Default.GitHubRelease, cancellationToken), false);
            }
        }

        if (!request.Create)
        {
            throw new BadInputException($"{request.Repository} has no release for tag {request.Tag} ({byTag}); create it first or pass --create.");
        }

        var body = new CreateReleaseBody(request.Tag, request.Tag, request.TargetCommitish, Draft: false, Prerelease: false);
        using var created = await SendAsync(HttpMethod.Post, $"{api}{repository}/releases", JsonContent.Create(body, GitHubJson.Default.CreateReleaseBody), idempotent: false, cancellationToken);
        return (await ReadAsync(created, GitHubJson.Default.GitHubRelease, cancellationToken), true);
    }

    private async Task<Dictionary<string, GitHubReleaseAsset>> ListAssetsAsync(string api, string repository, long releaseId, CancellationToken cancellationToken)
    {
        var assets = new Dictionary<string, GitHubReleaseAsset>(StringComparer.OrdinalIgnoreCase);
        string? next = $"{api}{repository}/releases/{releaseId}/assets?per_page=100";
        while (next is not null)
        {
            using var response = await SendAsync(HttpMethod.Get, next, null, idempotent: true, cancellationToken);
            foreach (var asset in await ReadAsync(response, GitHubJson.Default.ListGitHubReleaseAsset, cancellationToken))
            {
                assets[asset.Name] = asset;
            }

            next = NextPage(response);
        }

        return assets;
    }

    /// <summary>RFC 8288 Link header, as GitHub paginates: <c>&lt;URL&gt;; rel="next"</c>.</summary>
    public static string? NextPage(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var link in values.SelectMany(v => v.Split(',')))
        {
            var parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length > 1 && parts[0].StartsWith('<') && parts[0].EndsWith('>') && parts.Skip(1).Any(p => p.Replace(" ", string.Empty, StringComparison.Ordinal) == "rel=\"next\""))
            {
                return parts[0][1..^1];
            }
        }

        return null;
    }

    private async Task<GitHubReleaseAsset> UploadAsync(string url, string file, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var content = new StreamContent(stream, 1 << 16);
        content.Headers.ContentType = new MediaTypeHeaderValue(ContentType(file));
        content.Headers.ContentLength = stream.Length;

        // An upload is not repeated: a half-finished one can leave an asset GitHub must clean up first.
        using var response = await SendAsync(HttpMethod.Post, url, content, idempotent: false, cancellationToken);
        return await ReadAsync(response, GitHubJson.Default.GitHubReleaseAsset, cancellationToken);
    }

    private static string ContentType(string file) => Path.GetExtension(file).ToLowerInvariant() switch
    {
        ".json" => "application/json",
        ".txt" or ".sha256" or ".sha256sum" => "text/plain",
        ".pem" or ".crt" => "application/x-pem-file",
        ".p7s" => "application/pkcs7-signature",
        _ => "application/octet-stream",
    };

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, HttpContent? content, bool idempotent, CancellationToken cancellationToken, bool allowNotFound = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, url) { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
            request.Headers.Add("X-GitHub-Api-Version", ApiVersion);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("pipeline-pki", "1"));
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException) when (idempotent && attempt < Attempts)
            {
                await Task.Delay(Backoff(attempt), time, cancellationToken);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw new RemoteFailureException(EndpointOf(url), $"GitHub at {EndpointOf(url)} is unreachable ({e.Message}) after {attempt} attempt(s); check --api-url and the network.", e);
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new RemoteFailureException(EndpointOf(url), $"GitHub at {EndpointOf(url)} did not answer in time; try again later.", e);
            }

            if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound))
            {
                return response;
            }

            if (idempotent && attempt < Attempts && (int)response.StatusCode >= 500)
            {
                response.Dispose();
                await Task.Delay(Backoff(attempt), time, cancellationToken);
                continue;
            }

            using (response)
            {
                throw await FailureAsync(method, url, response, attempt, cancellationToken);
            }
        }
    }

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(attempt);

    private static async Task<RemoteFailureException> FailureAsync(HttpMethod method, string url, HttpResponseMessage response, int attempts, CancellationToken cancellationToken)
    {
        string? detail = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            detail = JsonSerializer.Deserialize(text, GitHubJson.Default.GitHubErrorBody)?.Message;
        }
        catch (JsonException)
        {
            // Not GitHub's error shape (a proxy page, say): the status code alone must do.
        }

        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => "the token was refused; check GITHUB_TOKEN (--token-env)",
            HttpStatusCode.Forbidden => "the token lacks permission; grant the job 'contents: write' (and 'checks: write' for --check-run)",
            HttpStatusCode.NotFound => "check --repo, --api-url and that the token can see the repository",
            HttpStatusCode.UnprocessableEntity => "GitHub refused the request as sent",
            _ => "try again later",
        };
        var path = new Uri(url).AbsolutePath;
        return new RemoteFailureException(
            EndpointOf(url),
            $"GitHub answered {(int)response.StatusCode} {response.ReasonPhrase} to {method} {path}{(detail is null ? string.Empty : $" ({detail})")}{(attempts > 1 ? $" after {attempts} attempts" : string.Empty)}; {hint}.");
    }

    private static string EndpointOf(string url) => new Uri(url).GetLeftPart(UriPartial.Authority);

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new RemoteFailureException(EndpointOf(response.RequestMessage!.RequestUri!.AbsoluteUri), "GitHub sent an empty answer; try again later.");
        }
        catch (JsonException e)
        {
            var url = response.RequestMessage!.RequestUri!;
            throw new RemoteFailureException(EndpointOf(url.AbsoluteUri), $"GitHub's answer to {url.AbsolutePath} is not the JSON the REST API documents; check --api-url.", e);
        }
    }
}
