using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.TestKit;

namespace PipelinePki.Cli.Tests;

/// <summary>The CLI in-process with a fake clock and a private environment: exact times, exit-code mapping, output streams.</summary>
public sealed class InProcessCliTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider time = new(Now);
    private readonly Dictionary<string, string> environment = new() { ["USER"] = "tester" };

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var app = new CliApp(output, error, name => environment.GetValueOrDefault(name), time);
        var code = await app.RunAsync(args, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Issue_WithFakeClock_ExactValidityWindow()
    {
        var home = temp.Combine("ca");
        Assert.Equal(0, (await RunAsync("ca", "init", "--home", home, "--name", "T", "--no-passphrase")).Code);
        var (code, stdout, stderr) = await RunAsync("cert", "issue", "--home", home, "--name", "n", "--ttl", "8h", "--out", temp.Combine("o"), "--format", "json");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(Now.AddMinutes(-5), json.RootElement.GetProperty("notBefore").GetDateTimeOffset());
        Assert.Equal(Now.AddHours(8), json.RootElement.GetProperty("notAfter").GetDateTimeOffset());
        Assert.Equal(string.Empty, stderr);
    }

    [Fact]
    public async Task Inventory_StatusFollowsTheClock()
    {
        var home = temp.Combine("ca");
        await RunAsync("ca", "init", "--home", home, "--name", "T", "--no-passphrase");
        await RunAsync("cert", "issue", "--home", home, "--name", "short", "--ttl", "1h", "--out", temp.Combine("o"));
        time.Advance(TimeSpan.FromHours(2));

        var (_, stdout, _) = await RunAsync("ca", "inventory", "--home", home, "--format", "json");
        using var json = JsonDocument.Parse(stdout);
        var row = json.RootElement.EnumerateArray().Single(r => r.GetProperty("subject").GetString() == "CN=short");
        Assert.Equal("expired", row.GetProperty("status").GetString());
        Assert.Equal("local:tester@" + Environment.MachineName, row.GetProperty("requestedBy").GetString());
    }

    [Theory]
    [InlineData(2, "cert", "issue", "--name", "x", "--out", "o", "--ttl", "0h")]
    [InlineData(3, "ca", "status", "--home", "/nonexistent/ca")]
    [InlineData(2, "ca", "crl", "--issuer", "middle")]
    public async Task Errors_MapToContractExitCodes_OneLineOnStderr_NothingOnStdout(int expected, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(args);
        Assert.Equal(expected, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("pipeline-pki: error: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyViolation_ExitFiveWithRuleName()
    {
        var home = temp.Combine("ca");
        await RunAsync("ca", "init", "--home", home, "--name", "T", "--no-passphrase", "--intermediate-ttl", "10d");
        var (code, _, stderr) = await RunAsync("cert", "issue", "--home", home, "--name", "n", "--ttl", "11d", "--out", temp.Combine("o"));
        Assert.Equal(5, code);
        Assert.Contains("policy violation [ca-validity]", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CiOverride_GitLabModeRecordsGitLabIdentity()
    {
        environment["CI_PROJECT_PATH"] = "grp/prj";
        environment["CI_PIPELINE_ID"] = "11";
        var home = temp.Combine("ca");
        await RunAsync("ca", "init", "--home", home, "--name", "T", "--no-passphrase");
        await RunAsync("--ci", "gitlab", "cert", "issue", "--home", home, "--name", "g", "--out", temp.Combine("o"));
        var (_, stdout, _) = await RunAsync("ca", "inventory", "--home", home, "--format", "json");
        using var json = JsonDocument.Parse(stdout);
        var row = json.RootElement.EnumerateArray().Single(r => r.GetProperty("subject").GetString() == "CN=g");
        Assert.Equal("grp/prj", row.GetProperty("repository").GetString());
    }

    public void Dispose() => temp.Dispose();
}
