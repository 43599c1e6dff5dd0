using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class CaCommandTests
{
    [Fact]
    public async Task Init_WithPassphrase_WritesEncryptedOwnerOnlyKeysAndPrintsJson()
    {
        using var cli = new CliSession();
        var result = await cli.RunOkAsync("ca", "init", "--home", cli.Home, "--name", "Acme CI", "--format", "json", "--permitted-dns", ".acme.internal");

        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("CN=Acme CI Root CA, O=Acme CI", json.RootElement.GetProperty("root").GetProperty("subject").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("intermediate").GetProperty("pathLengthConstraint").GetInt32());
        Assert.True(json.RootElement.GetProperty("keysEncrypted").GetBoolean());
        foreach (var key in new[] { "root.key.pem", "intermediate.key.pem" })
        {
            var path = Path.Combine(cli.Home, key);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        }

        Assert.True(File.Exists(Path.Combine(cli.Home, "root.pem")));
        Assert.True(File.Exists(Path.Combine(cli.Home, "intermediate.pem")));
        Assert.True(File.Exists(Path.Combine(cli.Home, "inventory.db")));
        var verify = await OpenSsl.RunAsync("verify", "-x509_strict", "-CAfile", Path.Combine(cli.Home, "root.pem"), Path.Combine(cli.Home, "intermediate.pem"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Init_NoPassphraseAvailable_UsageErrorAndNothingWritten()
    {
        using var cli = new CliSession();
        cli.Environment["PIPELINE_PKI_CA_PASSPHRASE"] = null;
        var result = await cli.RunAsync("ca", "init", "--home", cli.Home, "--name", "X");
        ErrorAssert.OneLine(result, 2, "--no-passphrase");
        Assert.False(Directory.Exists(cli.Home));
    }

    [Fact]
    public async Task Init_NoPassphraseFlag_WarnsAndWritesPlainKeys()
    {
        using var cli = new CliSession();
        cli.Environment["PIPELINE_PKI_CA_PASSPHRASE"] = null;
        var result = await cli.RunOkAsync("ca", "init", "--home", cli.Home, "--name", "X", "--no-passphrase");
        Assert.Contains("warning:", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("NOT encrypted", result.StandardError, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(Path.Combine(cli.Home, "root.key.pem")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_Twice_UsageErrorKeepsTheFirstCa()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var before = await File.ReadAllTextAsync(Path.Combine(cli.Home, "root.pem"));
        ErrorAssert.OneLine(await cli.RunAsync("ca", "init", "--home", cli.Home, "--name", "Again"), 2, "already exists");
        Assert.Equal(before, await File.ReadAllTextAsync(Path.Combine(cli.Home, "root.pem")));
    }

    [Theory]
    [InlineData("--key-type", "dsa-1024", "unknown key type")]
    [InlineData("--root-ttl", "ten years", "--root-ttl")]
    [InlineData("--crl-url", "not a url", "--crl-url")]
    [InlineData("--permitted-dns", "bad_domain!", "--permitted-dns")]
    public async Task Init_BadValues_UsageError(string option, string value, string mentions)
    {
        using var cli = new CliSession();
        ErrorAssert.OneLine(await cli.RunAsync("ca", "init", "--home", cli.Home, "--name", "X", option, value), 2, mentions);
    }

    [Fact]
    public async Task Init_IntermediateOutlivesRoot_PolicyViolation()
    {
        using var cli = new CliSession();
        ErrorAssert.OneLine(await cli.RunAsync("ca", "init", "--home", cli.Home, "--name", "X", "--root-ttl", "1y", "--intermediate-ttl", "2y"), 5, "ca-validity");
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("rsa-3072")]
    [InlineData("ed25519")]
    public async Task Init_KeyTypes_RootAndIntermediateUseThem(string keyType)
    {
        using var cli = new CliSession();
        await cli.InitAsync("--key-type", keyType, "--no-passphrase");
        var status = await cli.RunOkAsync("ca", "status", "--home", cli.Home, "--format", "json");
        using var json = JsonDocument.Parse(status.StandardOutput);
        Assert.Equal(keyType, json.RootElement.GetProperty("root").GetProperty("keyType").GetString());
        Assert.Equal(keyType, json.RootElement.GetProperty("intermediate").GetProperty("keyType").GetString());
    }

    [Fact]
    public async Task Status_TextAndJson_ReportChainCountsAndCrlFreshness()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "a", "--out", cli.PathOf("a"));
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("crl.pem"));

        var text = await cli.RunOkAsync("ca", "status", "--home", cli.Home);
        Assert.Contains("CN=E2E Root CA, O=E2E", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("1 issued, 1 valid, 0 revoked, 0 expired", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("CRL (intermediate): #1", text.StandardOutput, StringComparison.Ordinal);

        using var json = JsonDocument.Parse((await cli.RunOkAsync("ca", "status", "--home", cli.Home, "--format", "json")).StandardOutput);
        Assert.Equal(1, json.RootElement.GetProperty("certificates").GetProperty("valid").GetInt32());
        Assert.True(json.RootElement.GetProperty("rootKey").GetProperty("encrypted").GetBoolean());
        Assert.False(json.RootElement.GetProperty("crls")[0].GetProperty("stale").GetBoolean());
    }

    [Fact]
    public async Task Status_MissingHome_BadInputNamingTheDirectory()
    {
        using var cli = new CliSession();
        ErrorAssert.OneLine(await cli.RunAsync("ca", "status", "--home", cli.PathOf("nowhere")), 3, "nowhere");
    }

    [Fact]
    public async Task HomeFromEnvironment_UsedWhenNoOption()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        cli.Environment["PIPELINE_PKI_HOME"] = cli.Home;
        var status = await cli.RunOkAsync("ca", "status");
        Assert.Contains(cli.Home, status.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokeCrlInventory_RoundTripJudgedByOpenSsl()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--crl-url", "http://127.0.0.1:8080/intermediate.crl", "--issuer-url", "http://127.0.0.1:8080/intermediate.pem");
        var issued = JsonDocument.Parse((await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "victim", "--out", cli.PathOf("v"), "--format", "json")).StandardOutput);
        var serial = issued.RootElement.GetProperty("serial").GetString()!;

        var revoke = await cli.RunOkAsync("ca", "revoke", "--home", cli.Home, "--serial", serial, "--reason", "keyCompromise");
        Assert.Contains($"revoked {serial}", revoke.StandardOutput, StringComparison.Ordinal);
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("int.crl"));
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--issuer", "root", "--der", "--out", cli.PathOf("root.crl.der"));

        var crlText = await OpenSsl.TextAsync("crl", cli.PathOf("int.crl"));
        Assert.Contains($"Serial Number: {serial}", crlText, StringComparison.Ordinal);
        var rootCrl = await OpenSsl.RunAsync("crl", "-inform", "DER", "-in", cli.PathOf("root.crl.der"), "-noout", "-verify", "-CAfile", Path.Combine(cli.Home, "root.pem"));
        Assert.Contains("verify OK", rootCrl.Combined, StringComparison.Ordinal);
        await OpenSsl.RunAsync("crl", "-inform", "DER", "-in", cli.PathOf("root.crl.der"), "-out", cli.PathOf("root.crl"));
        var verdict = await OpenSsl.VerifyAsync(cli.PathOf("v", "root.pem"), cli.PathOf("v", "chain.pem"), cli.PathOf("v", "cert.pem"), "sslclient",
            "-crl_check_all", "-CRLfile", cli.PathOf("int.crl"), "-CRLfile", cli.PathOf("root.crl"));
        Assert.NotEqual(0, verdict.ExitCode);
        Assert.Contains("certificate revoked", verdict.Combined, StringComparison.Ordinal);

        // CDP and AIA land in the leaf when configured.
        var leafText = await OpenSsl.TextAsync("x509", cli.PathOf("v", "cert.pem"));
        Assert.Contains("URI:http://127.0.0.1:8080/intermediate.crl", leafText, StringComparison.Ordinal);
        Assert.Contains("CA Issuers - URI:http://127.0.0.1:8080/intermediate.pem", leafText, StringComparison.Ordinal);

        var inventory = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json")).StandardOutput);
        var row = inventory.RootElement.EnumerateArray().Single(r => r.GetProperty("serial").GetString() == serial);
        Assert.Equal("revoked", row.GetProperty("status").GetString());
        Assert.Equal("CN=victim", row.GetProperty("subject").GetString());
        Assert.Equal(JsonValueKind.Array, row.GetProperty("sans").ValueKind);
        Assert.True(row.TryGetProperty("notBefore", out _));
        Assert.True(row.TryGetProperty("notAfter", out _));

        var csv = await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "csv");
        var lines = csv.StandardOutput.Trim().Split('\n');
        Assert.StartsWith("serial,subject,sans,notBefore,notAfter,status", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith(serial + ",CN=victim,", StringComparison.Ordinal) && l.Contains(",revoked,", StringComparison.Ordinal));
        var table = await cli.RunOkAsync("ca", "inventory", "--home", cli.Home);
        Assert.Contains("SERIAL", table.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(serial, table.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--serial", "DEADBEEF" }, 3, "DEADBEEF")]
    [InlineData(new[] { "--serial", "xyz" }, 2, "--serial")]
    [InlineData(new[] { "--serial", "01", "--reason", "boredom" }, 2, "--reason")]
    [InlineData(new string[0], 2, "--serial")]
    public async Task Revoke_BadInput_ExitCodes(string[] arguments, int exitCode, string mentions)
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        ErrorAssert.OneLine(await cli.RunAsync(["ca", "revoke", "--home", cli.Home, .. arguments]), exitCode, mentions);
    }

    [Fact]
    public async Task Crl_WrongPassphrase_BadInput_DerWithoutOut_Usage()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        ErrorAssert.OneLine(await cli.RunAsync("ca", "crl", "--home", cli.Home, "--der"), 2, "--der");
        cli.Environment["PIPELINE_PKI_CA_PASSPHRASE"] = "definitely wrong";
        ErrorAssert.OneLine(await cli.RunAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("x.crl")), 3, "wrong passphrase");
        Assert.False(File.Exists(cli.PathOf("x.crl")));
    }

    [Fact]
    public async Task Crl_ToStdout_IsPem()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var result = await cli.RunOkAsync("ca", "crl", "--home", cli.Home);
        Assert.StartsWith("-----BEGIN X509 CRL-----", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotateIntermediate_IssuesFromNewKey()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var before = await File.ReadAllTextAsync(Path.Combine(cli.Home, "intermediate.pem"));
        var rotated = await cli.RunOkAsync("ca", "rotate-intermediate", "--home", cli.Home, "--ttl", "90d", "--format", "json");
        Assert.NotEqual(before, await File.ReadAllTextAsync(Path.Combine(cli.Home, "intermediate.pem")));
        using var json = JsonDocument.Parse(rotated.StandardOutput);
        Assert.Equal(0, json.RootElement.GetProperty("intermediate").GetProperty("pathLengthConstraint").GetInt32());
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "n", "--out", cli.PathOf("n"));
        var verdict = await OpenSsl.VerifyAsync(cli.PathOf("n", "root.pem"), cli.PathOf("n", "chain.pem"), cli.PathOf("n", "cert.pem"), "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
        ErrorAssert.OneLine(await cli.RunAsync("ca", "rotate-intermediate", "--home", cli.Home, "--ttl", "20y"), 5, "outlive the root");
    }
}
