using System.Text.Json;
using PipelinePki.Ci.GitHub;
using PipelinePki.Core;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Http;

namespace PipelinePki.Ci.Tests;

/// <summary><c>publish github-release</c> against a GHES-shaped stand-in: the documented paths, headers and bodies.</summary>
public sealed class GitHubReleasePublisherTests : IAsyncLifetime
{
    private const string Token = "ghs_standInToken0123456789";
    private readonly TempDirectory temp = new();
    private readonly HttpClient http = new();
    private GitHubStandIn github = null!;

    public async Task InitializeAsync() => github = await GitHubStandIn.StartAsync(Token);

    public async Task DisposeAsync()
    {
        await github.DisposeAsync();
        http.Dispose();
        temp.Dispose();
    }

    private string File(string name, int size)
    {
        var path = temp.Combine(name);
        System.IO.File.WriteAllBytes(path, [.. Enumerable.Range(0, size).Select(i => (byte)i)]);
        return path;
    }

    private GitHubReleasePublisher Publisher(string token = Token) => new(http, token, TimeProvider.System);

    private GitHubReleaseRequest Request(string tag, string[] files, bool create = false, bool replace = false, CheckRunRequest? check = null) =>
        new(github.ApiUrl, github.Repository, tag, files, create, replace, null, check);

    [Fact]
    public async Task ExistingRelease_UploadsEachFileToTheUploadsEndpoint_WithGitHubsHeaders()
    {
        var id = github.AddRelease("v1.0.0");
        var signature = File("app.tar.p7s", 3000);
        var bundle = File("app.tar.sigstore.json", 500);

        var result = await Publisher().PublishAsync(Request("v1.0.0", [signature, bundle]), null, CancellationToken.None);

        Assert.False(result.Created);
        Assert.Equal(id, result.ReleaseId);
        Assert.Equal(["app.tar.p7s", "app.tar.sigstore.json"], result.Assets.Select(a => a.Name));
        var requests = github.Requests;
        Assert.Equal(
            [
                "GET /api/v3/repos/acme/widgets/releases/tags/v1.0.0",
                $"GET /api/v3/repos/acme/widgets/releases/{id}/assets?per_page=100",
                $"POST /api/uploads/repos/acme/widgets/releases/{id}/assets?name=app.tar.p7s",
                $"POST /api/uploads/repos/acme/widgets/releases/{id}/assets?name=app.tar.sigstore.json",
            ],
            requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.All(requests, r =>
        {
            Assert.Equal($"Bearer {Token}", r.Headers["Authorization"]);
            Assert.Equal("application/vnd.github+json", r.Headers["Accept"]);
            Assert.Equal("2022-11-28", r.Headers["X-GitHub-Api-Version"]);
            Assert.StartsWith("pipeline-pki/", r.Headers["User-Agent"], StringComparison.Ordinal);
        });
        Assert.Equal("application/pkcs7-signature", requests[2].Headers["Content-Type"]);
        Assert.Equal("3000", requests[2].Headers["Content-Length"]);
        Assert.Equal("application/json", requests[3].Headers["Content-Type"]);
        Assert.Equal(System.IO.File.ReadAllBytes(signature), github.AssetsOf("v1.0.0")["app.tar.p7s"]);
        Assert.Equal(System.IO.File.ReadAllBytes(bundle), github.AssetsOf("v1.0.0")["app.tar.sigstore.json"]);
    }

    [Fact]
    public async Task NoRelease_WithCreate_PostsTheDocumentedBody()
    {
        var result = await Publisher().PublishAsync(Request("v2", [File("SHA256SUMS", 64)], create: true) with { TargetCommitish = "main" }, null, CancellationToken.None);

        Assert.True(result.Created);
        var create = github.Requests.Single(r => r is { Method: "POST", PathAndQuery: "/api/v3/repos/acme/widgets/releases" });
        using var body = JsonDocument.Parse(create.Body);
        Assert.Equal("v2", body.RootElement.GetProperty("tag_name").GetString());
        Assert.Equal("v2", body.RootElement.GetProperty("name").GetString());
        Assert.Equal("main", body.RootElement.GetProperty("target_commitish").GetString());
        Assert.False(body.RootElement.GetProperty("draft").GetBoolean());
        Assert.StartsWith("application/json", create.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Single(github.AssetsOf("v2"));
    }

    [Fact]
    public async Task NoRelease_WithoutCreate_BadInputAndNothingWritten()
    {
        var e = await Assert.ThrowsAsync<BadInputException>(() => Publisher().PublishAsync(Request("v3", [File("a.p7s", 10)]), null, CancellationToken.None));
        Assert.Contains("--create", e.Message, StringComparison.Ordinal);
        Assert.All(github.Requests, r => Assert.Equal("GET", r.Method));
    }

    [Fact]
    public async Task ExistingAsset_WithoutReplace_RefusedBeforeAnyUpload()
    {
        github.AddRelease("v1", "b.p7s");
        var e = await Assert.ThrowsAsync<BadInputException>(() => Publisher().PublishAsync(Request("v1", [File("a.p7s", 10), File("b.p7s", 10)]), null, CancellationToken.None));
        Assert.Contains("b.p7s", e.Message, StringComparison.Ordinal);
        Assert.Contains("--replace", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(github.Requests, r => r.Method != "GET");
        Assert.Equal(new byte[] { 1, 2, 3 }, github.AssetsOf("v1")["b.p7s"]);
    }

    [Fact]
    public async Task ExistingAsset_WithReplace_DeletedThenUploaded_AcrossPages()
    {
        github.PageSize = 2;
        github.AddRelease("v1", "x1", "x2", "x3", "b.p7s");
        var result = await Publisher().PublishAsync(Request("v1", [File("b.p7s", 42)], replace: true), null, CancellationToken.None);

        Assert.True(result.Assets.Single().Replaced);
        var calls = github.Requests.Select(r => $"{r.Method} {r.PathAndQuery}").ToList();
        Assert.Contains(calls, c => c.EndsWith("/assets?per_page=2&page=2", StringComparison.Ordinal));
        var delete = calls.FindIndex(c => c.StartsWith("DELETE /api/v3/repos/acme/widgets/releases/assets/", StringComparison.Ordinal));
        var upload = calls.FindIndex(c => c.StartsWith("POST /api/uploads/", StringComparison.Ordinal));
        Assert.True(delete >= 0 && delete < upload, string.Join('\n', calls));
        Assert.Equal(42, github.AssetsOf("v1")["b.p7s"].Length);
        Assert.Equal(4, github.AssetsOf("v1").Count);
    }

    [Fact]
    public async Task ServerError_OnARead_RetriedThenSucceeds()
    {
        github.AddRelease("v1");
        github.FailNext("/releases/tags/", 502);
        var result = await Publisher().PublishAsync(Request("v1", [File("a.p7s", 10)]), null, CancellationToken.None);
        Assert.Single(result.Assets);
        Assert.Equal(2, github.Requests.Count(r => r.PathAndQuery.Contains("/releases/tags/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BadToken_RemoteFailureThatNamesTheFix_NeverTheToken()
    {
        github.AddRelease("v1");
        var e = await Assert.ThrowsAsync<RemoteFailureException>(() => Publisher("ghs_wrongToken").PublishAsync(Request("v1", [File("a.p7s", 10)]), null, CancellationToken.None));
        Assert.Contains("401", e.Message, StringComparison.Ordinal);
        Assert.Contains("Bad credentials", e.Message, StringComparison.Ordinal);
        Assert.Contains("GITHUB_TOKEN", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ghs_wrongToken", e.Message, StringComparison.Ordinal);
        Assert.Single(github.Requests);
    }

    [Fact]
    public async Task CheckRun_CompletedWithTheVerificationOutcome()
    {
        github.AddRelease("v1");
        var outcome = temp.Combine("verify.json");
        System.IO.File.WriteAllText(outcome, """
            {"isValid": false, "artifacts": [{"file": "/w/app.tar", "isValid": false, "signer": "CN=release",
              "checks": [{"check": "integrity", "status": "Failed", "detail": "digest differs"}, {"check": "signature", "status": "Passed", "detail": "ok"}]}]}
            """);
        var (valid, summary) = VerificationReport.Read(outcome);
        var check = new CheckRunRequest("pipeline-pki verify", "0123abcd", valid, "Verification failed", summary);

        var result = await Publisher().PublishAsync(Request("v1", [File("a.p7s", 10)], check: check), null, CancellationToken.None);

        Assert.Equal("failure", result.CheckRun!.Conclusion);
        var post = github.Requests.Single(r => r.PathAndQuery == "/api/v3/repos/acme/widgets/check-runs");
        using var body = JsonDocument.Parse(post.Body);
        Assert.Equal("pipeline-pki verify", body.RootElement.GetProperty("name").GetString());
        Assert.Equal("0123abcd", body.RootElement.GetProperty("head_sha").GetString());
        Assert.Equal("completed", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("failure", body.RootElement.GetProperty("conclusion").GetString());
        Assert.True(body.RootElement.TryGetProperty("completed_at", out _));
        var text = body.RootElement.GetProperty("output").GetProperty("summary").GetString()!;
        Assert.Contains("| /w/app.tar | not valid | CN=release | integrity: digest differs |", text, StringComparison.Ordinal);
    }

    [Fact]
    public void VerificationReport_NotAVerifyResult_BadInput()
    {
        var path = temp.Combine("other.json");
        System.IO.File.WriteAllText(path, """{"signed": []}""");
        Assert.Throws<BadInputException>(() => VerificationReport.Read(path));
    }

    [Theory]
    [InlineData("https://api.github.com", null, "https://uploads.github.com")]
    [InlineData("https://ghe.example/api/v3", null, "https://ghe.example/api/uploads")]
    [InlineData("https://ghe.example/api/v3", "https://up.example/api/uploads/repos/o/r/releases/1/assets{?name,label}", "https://up.example/api/uploads")]
    public void UploadBase_FromTheReleaseOrTheApiHost(string api, string? uploadUrl, string expected) =>
        Assert.Equal(expected, GitHubReleasePublisher.UploadBase(new GitHubRelease(1, "v", null, uploadUrl), new Uri(api)));
}
