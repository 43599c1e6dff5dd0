using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Ci;

namespace PipelinePki.Cli.Tests;

/// <summary>The CLI's side of the CI adapter in-process: which secrets are masked, when, and what reaches each stream.</summary>
public sealed class CiWiringTests : IDisposable
{
    private const string Secret = "custom-variable passphrase";
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, string> environment = new() { ["USER"] = "tester", ["MY_CA_SECRET"] = Secret };

    public void Dispose() => temp.Dispose();

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var app = new CliApp(output, error, name => environment.GetValueOrDefault(name), time);
        var code = await app.RunAsync(args, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task GitHub_CustomPassphraseEnvMaskedBeforeAnything_OutputsWithTheFakeClock()
    {
        environment["GITHUB_OUTPUT"] = temp.Combine("output");
        var home = temp.Combine("ca");
        var init = await RunAsync("--ci", "github", "ca", "init", "--home", home, "--name", "T", "--passphrase-env", "MY_CA_SECRET");
        Assert.True(init.Code == 0, init.Err);
        Assert.Equal($"::add-mask::{Secret}", init.Err.Split('\n')[0]);

        var issue = await RunAsync("--ci", "github", "cert", "issue", "--home", home, "--name", "n", "--ttl", "8h", "--out", temp.Combine("o"), "--passphrase-env", "MY_CA_SECRET", "--format", "json");
        Assert.True(issue.Code == 0, issue.Err);
        Assert.Equal($"::add-mask::{Secret}", issue.Err.Split('\n')[0]);
        Assert.DoesNotContain(Secret, issue.Out, StringComparison.Ordinal);
        JsonDocument.Parse(issue.Out).Dispose();
        var outputs = RunnerProtocol.ParseGitHubFile(environment["GITHUB_OUTPUT"]);
        Assert.Equal("2026-11-27T20:00:00Z", outputs["notAfter"]);
        Assert.Equal(temp.Combine("o", "cert.pem"), outputs["certPath"]);
    }

    [Fact]
    public async Task Azure_JsonFormat_LoggingCommandsAreTheOnlyOtherStdoutLines()
    {
        var home = temp.Combine("ca");
        await RunAsync("--ci", "none", "ca", "init", "--home", home, "--name", "T", "--passphrase-env", "MY_CA_SECRET");
        environment["AGENT_TEMPDIRECTORY"] = temp.Path;
        var issue = await RunAsync("--ci", "azure", "cert", "issue", "--home", home, "--name", "n", "--out", temp.Combine("o"), "--passphrase-env", "MY_CA_SECRET", "--format", "json");

        Assert.True(issue.Code == 0, issue.Err);
        var lines = issue.Out.Split('\n');
        Assert.Equal($"##vso[task.setsecret]{Secret}", lines[0]);
        using var json = JsonDocument.Parse(string.Join('\n', lines.Where(l => !l.StartsWith("##vso[", StringComparison.Ordinal))));
        var outputs = RunnerProtocol.ParseAzureCommands(issue.Out).Where(c => c.Properties.GetValueOrDefault("isOutput") == "true").ToDictionary(c => c.Properties["variable"], c => c.Data);
        Assert.Equal(json.RootElement.GetProperty("serial").GetString(), outputs["serial"]);
        Assert.Equal(string.Empty, issue.Err);
    }

    [Fact]
    public async Task ParseError_OnGitHub_StillAnAnnotation_ExitTwo()
    {
        environment["GITHUB_ACTIONS"] = "true";
        var (code, stdout, stderr) = await RunAsync("cert", "issue", "--bogus");
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        var lines = stderr.Trim().Split('\n');
        Assert.StartsWith("pipeline-pki: error: ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("::error title=pipeline-pki::", lines[1], StringComparison.Ordinal);
        Assert.Equal(2, lines.Length);
    }
}
