using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.Sources.Acme.Tests;

[Collection(EabPebbleCollection.Name)]
public sealed class EabPebbleTests(EabPebbleFixture fixture) : IDisposable
{
    private const string MacVariable = "TEST_ACME_EAB_MAC";
    private readonly TempDirectory temp = new();

    [Fact]
    public async Task CertIssue_EabRequiredButAbsent_PolicyExit5()
    {
        var cli = new AcmeCli(fixture.Pebble, temp);

        var result = await cli.RunAsync(cli.Issue(temp.Combine("out"), "--name", "eab.build.example"));

        Assert.Equal(5, result.ExitCode);
        var line = Assert.Single(ErrorLines(result));
        Assert.Contains("acme-externalAccountRequired", line, StringComparison.Ordinal);
        Assert.Contains("--eab-kid", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertIssue_EabWrongMac_PolicyExit5AndNoSecretPrinted()
    {
        var cli = new AcmeCli(fixture.Pebble, temp);
        var wrongMac = "d3JvbmctbWFjLWtleS1mb3ItdGhlLWVhYi10ZXN0LW9mLXBpcGVsaW5lLXBraQ";

        var result = await cli.RunAsync(
            new Dictionary<string, string?> { [MacVariable] = wrongMac },
            cli.Issue(temp.Combine("out"), "--name", "eab.build.example", "--eab-kid", EabPebbleFixture.EabKeyId, "--eab-hmac-env", MacVariable, "--verbose"));

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("pipeline-pki: error: policy violation [acme-unauthorized]: the ACME server refused newAccount", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongMac, result.Combined, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongMac[..20], result.Combined, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(cli.State, "accounts")) && Directory.GetFiles(Path.Combine(cli.State, "accounts"), "*.pem", SearchOption.AllDirectories).Length > 0);
    }

    [Fact]
    public async Task CertIssue_EabCorrect_BindsAccountIssuesAndNeverPrintsTheMacKey()
    {
        var cli = new AcmeCli(fixture.Pebble, temp);
        var outDir = temp.Combine("out");
        var environment = new Dictionary<string, string?> { [MacVariable] = EabPebbleFixture.EabMacKey };

        var result = await cli.RunAsync(environment, cli.Issue(outDir, "--name", "eab.build.example", "--eab-kid", EabPebbleFixture.EabKeyId, "--eab-hmac-env", MacVariable, "--verbose", "--format", "json"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True((await cli.VerifyAsync(outDir)).ExitCode == 0);
        Assert.DoesNotContain(EabPebbleFixture.EabMacKey, result.Combined, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(cli.State, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".db", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(EabPebbleFixture.EabMacKey, File.ReadAllText(file), StringComparison.Ordinal);
        }

        // The bound account is reused without EAB from then on.
        var account = await cli.RunAsync(["acme", "account", .. cli.Common("--format", "json")]);
        Assert.True(account.ExitCode == 0, account.ToString());
        Assert.Equal("valid", JsonDocument.Parse(account.StandardOutput).RootElement.GetProperty("status").GetString());
    }

    /// <summary>Progress lines come first on stderr; the failure itself must be exactly one line.</summary>
    private static string[] ErrorLines(ProcessResult result) =>
        result.StandardError.Split('\n').Where(l => l.StartsWith("pipeline-pki: error:", StringComparison.Ordinal)).ToArray();

    public void Dispose() => temp.Dispose();
}
