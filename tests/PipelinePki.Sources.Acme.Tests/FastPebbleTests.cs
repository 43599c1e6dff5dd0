using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;
using PipelinePki.TestKit;

namespace PipelinePki.Sources.Acme.Tests;

[Collection(FastPebbleCollection.Name)]
public sealed class FastPebbleTests(FastPebbleFixture fixture) : IDisposable
{
    private readonly TempDirectory temp = new();

    private PebbleServer Pebble => fixture.Pebble;

    [Theory]
    [InlineData("ecdsa-p256", "id-ecPublicKey", "prime256v1")]
    [InlineData("ecdsa-p384", "id-ecPublicKey", "secp384r1")]
    [InlineData("rsa-3072", "rsaEncryption", "3072 bit")]
    public async Task CertIssue_KeyType_ChainVerifiesAgainstPebbleRoot(string keyType, string algorithm, string detail)
    {
        var cli = new AcmeCli(Pebble, temp);
        var outDir = temp.Combine("out-" + keyType);
        var result = await cli.RunAsync(cli.Issue(outDir, "--name", $"{keyType}.build.example", "--san", $"dns:alt-{keyType}.build.example", "--key-type", keyType, "--format", "json"));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("acme", json.RootElement.GetProperty("source").GetString());
        Assert.Equal(keyType, json.RootElement.GetProperty("keyType").GetString());
        var verdict = await cli.VerifyAsync(outDir);
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
        var text = await OpenSsl.TextAsync("x509", Path.Combine(outDir, "cert.pem"));
        Assert.Contains(algorithm, text, StringComparison.Ordinal);
        Assert.Contains(detail, text, StringComparison.Ordinal);
        Assert.Contains($"DNS:alt-{keyType}.build.example", text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(outDir, "key.pem")));
        Assert.Equal(File.ReadAllText(Path.Combine(outDir, "cert.pem")) + File.ReadAllText(Path.Combine(outDir, "chain.pem")), File.ReadAllText(Path.Combine(outDir, "fullchain.pem")));
        var keyMatches = await OpenSsl.RunAsync("x509", "-in", Path.Combine(outDir, "cert.pem"), "-noout", "-pubkey");
        var keyPublic = await OpenSsl.RunAsync("pkey", "-in", Path.Combine(outDir, "key.pem"), "-pubout");
        Assert.Equal(keyMatches.StandardOutput, keyPublic.StandardOutput);

        // The account key is stored 0600 and recorded nowhere else; the inventory row says source=acme.
        var accountKey = Directory.GetFiles(cli.State, "account.key.pem", SearchOption.AllDirectories).Single();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(accountKey));
        using var inventory = InventoryStore.Open(Path.Combine(cli.State, "inventory.db"));
        var row = Assert.Single(inventory.List());
        Assert.Equal("acme", row.Source);
        Assert.Equal(json.RootElement.GetProperty("serial").GetString(), row.Serial);
    }

    [Fact]
    public async Task CertIssue_DnsHook_ValidatesThroughChallengeServerAndCleansUp()
    {
        var cli = new AcmeCli(Pebble, temp);
        var hookLog = temp.Combine("hook.log");
        var hook = temp.Combine("dns-hook.sh");
        File.WriteAllText(hook, $$"""
            #!/bin/sh
            # pipeline-pki calls: HOOK add|remove RECORD VALUE
            set -e
            echo "$1 $2 $PIPELINE_PKI_DNS_DOMAIN" >> '{{hookLog}}'
            case "$1" in
              add)    curl -sSf -X POST -d "{\"host\":\"$2\",\"value\":\"$3\"}" {{Pebble.ChallengeManagementUrl}}/set-txt ;;
              remove) curl -sSf -X POST -d "{\"host\":\"$2\"}" {{Pebble.ChallengeManagementUrl}}/clear-txt ;;
            esac
            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var outDir = temp.Combine("out");

        // The http-01 port is deliberately wrong: only dns-01 can succeed.
        var result = await cli.RunAsync(["cert", "issue", "--source", "acme", .. cli.Common("--dns-hook", hook, "--http-port", "1", "--out", outDir, "--name", "dns01.build.example", "--san", "dns:*.dns01.build.example")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True((await cli.VerifyAsync(outDir)).ExitCode == 0);
        var calls = File.ReadAllLines(hookLog);
        Assert.Contains("add _acme-challenge.dns01.build.example. dns01.build.example", calls);
        Assert.Contains("remove _acme-challenge.dns01.build.example. dns01.build.example", calls);
        Assert.Contains("DNS:*.dns01.build.example", await OpenSsl.TextAsync("x509", Path.Combine(outDir, "cert.pem")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IssueTwice_SameAccountAndName_SecondOrderReusesTheValidAuthorization()
    {
        using var services = new ServiceCollection().AddSingleton(TimeProvider.System).AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(NullLoggerFactory.Instance).AddAcmeSource().BuildServiceProvider();
        var source = services.GetRequiredService<AcmeSourceFactory>().Create(new AcmeSourceOptions
        {
            DirectoryUrl = new Uri(Pebble.DirectoryUrl),
            StateDirectory = temp.Combine("state"),
            CaBundlePath = Pebble.TlsCaBundle,
            HttpPort = Pebble.HttpChallengePort,
            HttpBindAddress = "127.0.0.1",
            Timeout = TimeSpan.FromSeconds(90),
        });
        var request = new IssueRequest("reuse.build.example", [], CertificateProfile.Server, TimeSpan.FromHours(24), KeySpec.EcdsaP256, Requester.Unknown);

        var (first, firstOutcome) = await source.IssueWithOutcomeAsync(request, CancellationToken.None);
        var (second, secondOutcome) = await source.IssueWithOutcomeAsync(request, CancellationToken.None);
        using (first)
        using (second)
        {
            Assert.Equal((0, 1), (firstOutcome.ReusedAuthorizations, firstOutcome.ValidatedAuthorizations));
            Assert.Equal((1, 0), (secondOutcome.ReusedAuthorizations, secondOutcome.ValidatedAuthorizations));
            Assert.NotEqual(first.Record.Serial, second.Record.Serial);
            Assert.Null(first.Root);
        }
    }

    [Fact]
    public async Task CertIssue_PreferredChain_PicksTheAlternateRoot()
    {
        var cli = new AcmeCli(Pebble, temp);
        var alternateRoot = await Pebble.WriteRootAsync(temp.Combine("root1.pem"), 1);
        var subject = (await OpenSsl.RunAsync("x509", "-in", alternateRoot, "-noout", "-subject", "-nameopt", "multiline")).StandardOutput;
        var alternateCn = subject.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("commonName", StringComparison.Ordinal)).Split('=', 2)[1].Trim();
        var outDir = temp.Combine("out");

        var result = await cli.RunAsync(cli.Issue(outDir, "--name", "chain.build.example", "--acme-preferred-chain", alternateCn));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True((await cli.VerifyAsync(outDir, rootIndex: 1)).ExitCode == 0, "the alternate chain must verify against the alternate root");
        Assert.NotEqual(0, (await cli.VerifyAsync(outDir, rootIndex: 0)).ExitCode);
    }

    [Fact]
    public async Task AcmeRevoke_IssuedCertificate_PebbleReportsItRevoked()
    {
        var cli = new AcmeCli(Pebble, temp);
        var outDir = temp.Combine("out");
        var issued = await cli.RunAsync(cli.Issue(outDir, "--name", "revoke.build.example", "--format", "json"));
        Assert.True(issued.ExitCode == 0, issued.ToString());
        var serial = JsonDocument.Parse(issued.StandardOutput).RootElement.GetProperty("serial").GetString()!;
        Assert.Equal("Valid", await Pebble.CertificateStatusAsync(serial));

        var revoked = await cli.RunAsync(["acme", "revoke", .. cli.Common("--cert", Path.Combine(outDir, "cert.pem"), "--reason", "keyCompromise", "--format", "json")]);

        Assert.True(revoked.ExitCode == 0, revoked.ToString());
        Assert.Equal("keyCompromise", JsonDocument.Parse(revoked.StandardOutput).RootElement.GetProperty("reason").GetString());
        Assert.Equal("Revoked", await Pebble.CertificateStatusAsync(serial));
        using var inventory = InventoryStore.Open(Path.Combine(cli.State, "inventory.db"));
        Assert.Equal(CertificateStatus.Revoked, inventory.Find(serial)!.Status);
    }

    [Fact]
    public async Task AcmeKeyRollover_OldKeyIsRefusedNewKeyWorks()
    {
        var cli = new AcmeCli(Pebble, temp);
        var created = await cli.RunAsync(["acme", "account", .. cli.Common("--create", "--acme-email", "ci@build.example", "--format", "json")]);
        Assert.True(created.ExitCode == 0, created.ToString());
        var keyFile = JsonDocument.Parse(created.StandardOutput).RootElement.GetProperty("keyFile").GetString()!;
        var oldKey = File.ReadAllText(keyFile);
        var oldThumbprint = JsonDocument.Parse(created.StandardOutput).RootElement.GetProperty("keyThumbprint").GetString();

        var rolled = await cli.RunAsync(["acme", "key-rollover", .. cli.Common("--format", "json")]);

        Assert.True(rolled.ExitCode == 0, rolled.ToString());
        Assert.NotEqual(oldThumbprint, JsonDocument.Parse(rolled.StandardOutput).RootElement.GetProperty("keyThumbprint").GetString());
        Assert.NotEqual(oldKey, File.ReadAllText(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var withNewKey = await cli.RunAsync(["acme", "account", .. cli.Common()]);
        Assert.True(withNewKey.ExitCode == 0, withNewKey.ToString());

        var newKey = File.ReadAllText(keyFile);
        File.WriteAllText(keyFile, oldKey);
        var withOldKey = await cli.RunAsync(["acme", "account", .. cli.Common()]);
        File.WriteAllText(keyFile, newKey);
        Assert.Equal(6, withOldKey.ExitCode);
        Assert.Single(ErrorLines(withOldKey));
        Assert.Contains("the ACME server refused account", withOldKey.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(oldKey.Split('\n')[1], withOldKey.Combined, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertIssue_ChallengeNobodyAnswers_ProblemDocumentIsOneLineExit6()
    {
        var cli = new AcmeCli(Pebble, temp);
        var unusedPort = LoopbackPortNotPebbles();

        var result = await cli.RunAsync(["cert", "issue", "--source", "acme", .. cli.Common("--http-port", unusedPort, "--http-bind", "127.0.0.1", "--out", temp.Combine("out"), "--name", "unanswered.build.example", "--format", "json")]);

        Assert.Equal(6, result.ExitCode);
        var line = Assert.Single(ErrorLines(result));
        Assert.StartsWith("pipeline-pki: error: the ACME server refused validation of unanswered.build.example (connection:", line, StringComparison.Ordinal);
        Assert.Equal(6, JsonDocument.Parse(result.StandardOutput).RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
        Assert.False(File.Exists(temp.Combine("out", "cert.pem")));
    }

    [Fact]
    public async Task CertIssue_UriOrEmailSan_RefusedWithExit2()
    {
        var cli = new AcmeCli(Pebble, temp);
        foreach (var san in new[] { "uri:spiffe://build.example/ci", "email:ci@build.example" })
        {
            var result = await cli.RunAsync(cli.Issue(temp.Combine("out"), "--name", "names.build.example", "--san", san));
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("an ACME CA certifies only dns: and ip: names", result.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AcmeRenewalInfo_ServerWithoutAri_FallsBackToTwoThirdsOfLifetime()
    {
        var cli = new AcmeCli(Pebble, temp);
        var outDir = temp.Combine("out");
        Assert.Equal(0, (await cli.RunAsync(cli.Issue(outDir, "--name", "ari.build.example"))).ExitCode);

        var result = await cli.RunAsync(["acme", "renewal-info", .. cli.Common("--cert", Path.Combine(outDir, "cert.pem"), "--format", "json")]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal("lifetime-2/3", json.GetProperty("basis").GetString());
        Assert.False(json.GetProperty("due").GetBoolean());
    }

    private string LoopbackPortNotPebbles()
    {
        var port = TestKit.Http.LoopbackPkiServer.FreeTcpPort();
        return (port == Pebble.HttpChallengePort ? port + 1 : port).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Progress lines come first on stderr; the failure itself must be exactly one line.</summary>
    private static string[] ErrorLines(ProcessResult result) =>
        result.StandardError.Split('\n').Where(l => l.StartsWith("pipeline-pki: error:", StringComparison.Ordinal)).ToArray();

    public void Dispose() => temp.Dispose();
}
