using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class GeneralCliTests
{
    [Fact]
    public async Task Quickstart_FreshFolder_IssuesCertificateOpenSslAccepts_AndReruns()
    {
        using var cli = new CliSession();
        cli.Environment["PIPELINE_PKI_CA_PASSPHRASE"] = null;
        var first = await cli.RunOkAsync("quickstart", "--dir", cli.PathOf("qs"));
        Assert.Contains("created a two-tier CA", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("openssl verify -x509_strict -purpose sslclient", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("NOT encrypted", first.StandardError, StringComparison.Ordinal);

        // The printed openssl line is the one a user copies: run it as printed.
        var line = first.StandardOutput.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("openssl verify", StringComparison.Ordinal));
        var verdict = await ProcessRunner.RunAsync("openssl", line.Split(' ').Skip(1));
        Assert.True(verdict.ExitCode == 0, verdict.ToString());

        var second = JsonDocument.Parse((await cli.RunOkAsync("quickstart", "--dir", cli.PathOf("qs"), "--format", "json")).StandardOutput);
        Assert.False(second.RootElement.GetProperty("caCreated").GetBoolean());
        Assert.Contains("clientAuth", second.RootElement.GetProperty("certificate").GetProperty("extendedKeyUsage").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task HelpAndVersion_ExitZero()
    {
        using var cli = new CliSession();
        var help = await cli.RunOkAsync("--help");
        foreach (var command in new[] { "quickstart", "ca", "cert" })
        {
            Assert.Contains(command, help.StandardOutput, StringComparison.Ordinal);
        }

        var issueHelp = await cli.RunOkAsync("cert", "issue", "--help");
        Assert.Contains("--key-type", issueHelp.StandardOutput, StringComparison.Ordinal);
        var version = await cli.RunOkAsync("--version");
        Assert.Matches(@"^\d+\.\d+\.\d+", version.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("ca")]
    [InlineData("ca", "status", "--format", "yaml")]
    [InlineData("--ci", "jenkins", "ca", "status")]
    public async Task UsageErrors_ExitTwo(params string[] arguments)
    {
        using var cli = new CliSession();
        var result = await cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("pipeline-pki: error:", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verbose_ShowsStackTraceForInternalDetail()
    {
        using var cli = new CliSession();
        var result = await cli.RunAsync("ca", "status", "--home", cli.PathOf("nowhere"), "--verbose");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("BadInputException", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentProcesses_FourIssuersAtOnce_UniqueSerialsCompleteInventory()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase", "--key-type", "ecdsa-p256");
        const int processes = 4;
        const int perProcess = 5;
        var workers = Enumerable.Range(0, processes).Select(p => Task.Run(async () =>
        {
            var serials = new List<string>();
            for (var i = 0; i < perProcess; i++)
            {
                var result = await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", $"w{p}-{i}", "--out", cli.PathOf($"w{p}-{i}"), "--format", "json");
                serials.Add(JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("serial").GetString()!);
            }

            return serials;
        })).ToList();
        var issued = (await Task.WhenAll(workers)).SelectMany(s => s).ToList();

        Assert.Equal(processes * perProcess, issued.Distinct().Count());
        var inventory = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json")).StandardOutput);
        var leaves = inventory.RootElement.EnumerateArray().Where(r => r.GetProperty("profile").GetString() != "intermediate-ca").ToList();
        Assert.Equal(processes * perProcess, leaves.Count);
        Assert.True(leaves.Select(r => r.GetProperty("serial").GetString()!).ToHashSet().SetEquals(issued));
    }
}
