using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PipelinePki.TestKit.Http;

/// <summary>One request as the stand-in received it.</summary>
public sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => System.Text.Encoding.UTF8.GetString(Body);
}

/// <summary>
/// A GitHub Enterprise Server-shaped stand-in on 127.0.0.1 (Kestrel) for the REST endpoints
/// <c>publish github-release</c> calls, following GitHub's documented paths, JSON fields, status
/// codes, Link pagination and error shape: API under <c>/api/v3</c>, uploads under
/// <c>/api/uploads</c>. It records every request so tests assert paths, headers and bodies.
/// </summary>
public sealed class GitHubStandIn : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<RecordedRequest> requests = new();
    private readonly Lock gate = new();
    private readonly Dictionary<string, Release> releases = new(StringComparer.Ordinal);
    private readonly Queue<(string PathContains, int Status)> failures = new();
    private long nextId = 100;

    private GitHubStandIn(WebApplication app, Uri root, string token)
    {
        this.app = app;
        Root = root;
        Token = token;
    }

    public Uri Root { get; }

    /// <summary>The GHES-style REST base, as --api-url takes it.</summary>
    public Uri ApiUrl => new(Root, "api/v3");

    public string Token { get; }

    public string Repository { get; init; } = "acme/widgets";

    /// <summary>How many assets one page of the asset list holds (GitHub's per_page, capped here to exercise pagination).</summary>
    public int PageSize { get; set; } = 100;

    public IReadOnlyList<RecordedRequest> Requests => [.. requests];

    public static async Task<GitHubStandIn> StartAsync(string token, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, 0);
            options.Limits.MaxRequestBodySize = 64L * 1024 * 1024;
        });
        var app = builder.Build();
        GitHubStandIn? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new GitHubStandIn(app, new Uri(address.TrimEnd('/') + "/"), token);
        return server;
    }

    /// <summary>A release that already exists, with assets of the given names.</summary>
    public long AddRelease(string tag, params string[] assetNames)
    {
        lock (gate)
        {
            var release = new Release(++nextId, tag);
            foreach (var name in assetNames)
            {
                release.Assets.Add(new Asset(++nextId, name, [1, 2, 3]));
            }

            releases[tag] = release;
            return release.Id;
        }
    }

    public IReadOnlyDictionary<string, byte[]> AssetsOf(string tag)
    {
        lock (gate)
        {
            return releases.TryGetValue(tag, out var release) ? release.Assets.ToDictionary(a => a.Name, a => a.Content) : new Dictionary<string, byte[]>();
        }
    }

    /// <summary>The next request whose path contains this answers with the status (a 5xx the client should retry, say).</summary>
    public void FailNext(string pathContains, int status)
    {
        lock (gate)
        {
            failures.Enqueue((pathContains, status));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var path = context.Request.Path.Value ?? "/";
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        requests.Enqueue(new RecordedRequest(context.Request.Method, path + context.Request.QueryString.Value, headers, buffer.ToArray()));

        lock (gate)
        {
            if (failures.TryPeek(out var failure) && path.Contains(failure.PathContains, StringComparison.Ordinal))
            {
                failures.Dequeue();
                context.Response.StatusCode = failure.Status;
                return;
            }
        }

        if (headers.GetValueOrDefault("Authorization") != $"Bearer {Token}")
        {
            await ErrorAsync(context, 401, "Bad credentials");
            return;
        }

        var repo = $"/repos/{Repository}";
        var method = context.Request.Method;
        string[] parts;
        if (path.StartsWith($"/api/v3{repo}/", StringComparison.Ordinal))
        {
            parts = path[$"/api/v3{repo}/".Length..].Split('/');
            switch (method, parts)
            {
                case ("GET", ["releases", "tags", var tag]):
                    await FindAsync(context, Uri.UnescapeDataString(tag));
                    return;
                case ("POST", ["releases"]):
                    await CreateReleaseAsync(context, buffer.ToArray());
                    return;
                case ("GET", ["releases", var id, "assets"]):
                    await ListAsync(context, long.Parse(id, System.Globalization.CultureInfo.InvariantCulture));
                    return;
                case ("DELETE", ["releases", "assets", var id]):
                    await DeleteAsync(context, long.Parse(id, System.Globalization.CultureInfo.InvariantCulture));
                    return;
                case ("POST", ["check-runs"]):
                    await CheckRunAsync(context, buffer.ToArray());
                    return;
            }
        }
        else if (path.StartsWith($"/api/uploads{repo}/releases/", StringComparison.Ordinal) && method == "POST")
        {
            parts = path[$"/api/uploads{repo}/releases/".Length..].Split('/');
            if (parts is [var id, "assets"])
            {
                await UploadAsync(context, long.Parse(id, System.Globalization.CultureInfo.InvariantCulture), buffer.ToArray());
                return;
            }
        }

        await ErrorAsync(context, 404, "Not Found");
    }

    private Task FindAsync(HttpContext context, string tag)
    {
        lock (gate)
        {
            if (!releases.TryGetValue(tag, out var release))
            {
                return ErrorAsync(context, 404, "Not Found");
            }

            return JsonAsync(context, 200, ReleaseJson(release));
        }
    }

    private Task CreateReleaseAsync(HttpContext context, byte[] body)
    {
        var json = JsonNode.Parse(body)!;
        var tag = json["tag_name"]?.GetValue<string>();
        lock (gate)
        {
            if (tag is null || releases.ContainsKey(tag))
            {
                return ErrorAsync(context, 422, "Validation Failed");
            }

            var release = new Release(++nextId, tag);
            releases[tag] = release;
            return JsonAsync(context, 201, ReleaseJson(release));
        }
    }

    private Task ListAsync(HttpContext context, long id)
    {
        var page = int.TryParse(context.Request.Query["page"], out var p) ? p : 1;
        var perPage = Math.Min(PageSize, int.TryParse(context.Request.Query["per_page"], out var n) ? n : 30);
        lock (gate)
        {
            var release = releases.Values.FirstOrDefault(r => r.Id == id);
            if (release is null)
            {
                return ErrorAsync(context, 404, "Not Found");
            }

            var slice = release.Assets.Skip((page - 1) * perPage).Take(perPage).ToList();
            if (page * perPage < release.Assets.Count)
            {
                var next = new Uri(Root, $"api/v3/repos/{Repository}/releases/{id}/assets?per_page={perPage}&page={page + 1}");
                context.Response.Headers.Link = $"<{next}>; rel=\"next\", <{next}>; rel=\"last\"";
            }

            return JsonAsync(context, 200, new JsonArray([.. slice.Select(a => (JsonNode)AssetJson(a))]));
        }
    }

    private Task DeleteAsync(HttpContext context, long assetId)
    {
        lock (gate)
        {
            var release = releases.Values.FirstOrDefault(r => r.Assets.Any(a => a.Id == assetId));
            if (release is null)
            {
                return ErrorAsync(context, 404, "Not Found");
            }

            release.Assets.RemoveAll(a => a.Id == assetId);
            context.Response.StatusCode = 204;
            return Task.CompletedTask;
        }
    }

    private Task UploadAsync(HttpContext context, long id, byte[] body)
    {
        var name = context.Request.Query["name"].ToString();
        lock (gate)
        {
            var release = releases.Values.FirstOrDefault(r => r.Id == id);
            if (release is null || name.Length == 0)
            {
                return ErrorAsync(context, 404, "Not Found");
            }

            if (release.Assets.Any(a => a.Name == name))
            {
                // GitHub's answer to a duplicate name: 422 with code already_exists.
                return ErrorAsync(context, 422, "Validation Failed");
            }

            var asset = new Asset(++nextId, name, body);
            release.Assets.Add(asset);
            return JsonAsync(context, 201, AssetJson(asset));
        }
    }

    private Task CheckRunAsync(HttpContext context, byte[] body)
    {
        var json = JsonNode.Parse(body)!;
        var id = Interlocked.Increment(ref nextId);
        return JsonAsync(context, 201, new JsonObject
        {
            ["id"] = id,
            ["name"] = json["name"]?.GetValue<string>(),
            ["head_sha"] = json["head_sha"]?.GetValue<string>(),
            ["status"] = "completed",
            ["conclusion"] = json["conclusion"]?.GetValue<string>(),
            ["html_url"] = $"https://github.example/{Repository}/runs/{id}",
        });
    }

    private JsonObject ReleaseJson(Release release) => new()
    {
        ["id"] = release.Id,
        ["tag_name"] = release.Tag,
        ["name"] = release.Tag,
        ["draft"] = false,
        ["html_url"] = $"https://github.example/{Repository}/releases/tag/{release.Tag}",
        // Hypermedia template, as GitHub sends it.
        ["upload_url"] = new Uri(Root, $"api/uploads/repos/{Repository}/releases/{release.Id}/assets").AbsoluteUri + "{?name,label}",
        ["assets_url"] = new Uri(Root, $"api/v3/repos/{Repository}/releases/{release.Id}/assets").AbsoluteUri,
    };

    private JsonObject AssetJson(Asset asset) => new()
    {
        ["id"] = asset.Id,
        ["name"] = asset.Name,
        ["size"] = asset.Content.Length,
        ["state"] = "uploaded",
        ["content_type"] = "application/octet-stream",
        ["browser_download_url"] = $"https://github.example/{Repository}/releases/download/{Uri.EscapeDataString(asset.Name)}",
    };

    private static Task ErrorAsync(HttpContext context, int status, string message) =>
        JsonAsync(context, status, new JsonObject { ["message"] = message, ["documentation_url"] = "https://docs.github.com/rest" });

    private static async Task JsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    private sealed record Release(long Id, string Tag)
    {
        public List<Asset> Assets { get; } = [];
    }

    private sealed record Asset(long Id, string Name, byte[] Content);
}
