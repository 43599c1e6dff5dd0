using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class CertCommandTests
{
    [Fact]
    public async Task Issue_Json_PrintsPathsSerialAndFingerprint_FilesMatch()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var result = await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "agent", "--san", "uri:spiffe://e2e.internal/ci/agent",
            "--san", "dns:agent.e2e.internal", "--ttl", "2h", "--out", cli.PathOf("out"), "--format", "json");

        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        Assert.Equal("local", root.GetProperty("source").GetString());
        Assert.Equal("CN=agent", root.GetProperty("subject").GetString());
        Assert.Equal(["uri:spiffe://e2e.internal/ci/agent", "dns:agent.e2e.internal"], root.GetProperty("subjectAlternativeNames").EnumerateArray().Select(e => e.GetString()));
        var notBefore = root.GetProperty("notBefore").GetDateTimeOffset();
        var notAfter = root.GetProperty("notAfter").GetDateTimeOffset();
        Assert.InRange(notAfter - notBefore, TimeSpan.FromHours(2), TimeSpan.FromHours(2) + TimeSpan.FromMinutes(5));
        var files = root.GetProperty("files");
        var keyPath = files.GetProperty("privateKey").GetString()!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        foreach (var name in new[] { "certificate", "chain", "fullChain", "root" })
        {
            Assert.True(File.Exists(files.GetProperty(name).GetString()), name);
        }

        var fingerprint = await OpenSsl.RunAsync("x509", "-in", files.GetProperty("certificate").GetString()!, "-noout", "-fingerprint", "-sha256");
        Assert.Contains(root.GetProperty("sha256Fingerprint").GetString()!, fingerprint.StandardOutput.Replace(":", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        var serial = await OpenSsl.RunAsync("x509", "-in", files.GetProperty("certificate").GetString()!, "-noout", "-serial");
        Assert.Equal($"serial={root.GetProperty("serial").GetString()}", serial.StandardOutput.Trim());

        // fullchain = leaf + intermediate, and the key pairs with the certificate.
        var full = await File.ReadAllTextAsync(files.GetProperty("fullChain").GetString()!);
        Assert.Equal(2, full.Split("BEGIN CERTIFICATE").Length - 1);
        var certKey = await OpenSsl.RunAsync("x509", "-in", files.GetProperty("certificate").GetString()!, "-noout", "-pubkey");
        var pairKey = await OpenSsl.RunAsync("pkey", "-in", keyPath, "-pubout");
        Assert.Equal(pairKey.StandardOutput, certKey.StandardOutput);
    }

    [Fact]
    public async Task Issue_Text_NamesFilesAndNeverPrintsTheKey()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var result = await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "agent", "--out", cli.PathOf("out"));
        Assert.Contains("issued ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("key.pem (0600)", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("(1d;", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_WithCsr_NoKeyFile_OpenSslVerifies()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var made = await OpenSsl.RunAsync("req", "-new", "-newkey", "rsa:3072", "-nodes", "-keyout", cli.PathOf("k.pem"), "-subj", "/CN=csr-client", "-out", cli.PathOf("r.csr"));
        Assert.Equal(0, made.ExitCode);
        var result = await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--csr", cli.PathOf("r.csr"), "--profile", "client", "--out", cli.PathOf("out"), "--format", "json");
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.False(json.RootElement.GetProperty("files").TryGetProperty("privateKey", out _));
        Assert.Equal("rsa-3072", json.RootElement.GetProperty("keyType").GetString());
        Assert.False(File.Exists(cli.PathOf("out", "key.pem")));
        var verdict = await OpenSsl.VerifyAsync(cli.PathOf("out", "root.pem"), cli.PathOf("out", "chain.pem"), cli.PathOf("out", "cert.pem"), "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
    }

    [Fact]
    public async Task Issue_ErrorPaths_ExitCodesPerContract()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--intermediate-ttl", "30d");
        await File.WriteAllTextAsync(cli.PathOf("junk.csr"), "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n");
        await File.WriteAllBytesAsync(cli.PathOf("binary.csr"), [0x01, 0x02, 0x03]);
        string[] common = ["cert", "issue", "--home", cli.Home, "--out", cli.PathOf("out")];

        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a", "--key-type", "dsa"]), 2, "unknown key type 'dsa'");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a", "--ttl", "forever"]), 2, "--ttl");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a", "--san", "build.example"]), 2, "--san");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a", "--profile", "superuser"]), 2, "--profile");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a", "--source", "vault"]), 2, "vault");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a", "--bogus"]), 2, "--bogus");
        ErrorAssert.OneLine(await cli.RunAsync([.. common]), 2, "--name");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "issue", "--home", cli.Home, "--name", "a"), 2, "--out");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a", "--ttl", "60d"]), 5, "outlive the issuing CA");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--csr", cli.PathOf("junk.csr")]), 3, "junk.csr");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--csr", cli.PathOf("binary.csr")]), 3, "binary.csr");
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--csr", cli.PathOf("missing.csr")]), 3, "missing.csr");
        ErrorAssert.OneLine(await cli.RunAsync(["cert", "issue", "--home", cli.PathOf("no-ca"), "--out", cli.PathOf("out"), "--name", "a"]), 3, "no local CA here");

        cli.Environment["PIPELINE_PKI_CA_PASSPHRASE"] = "wrong passphrase here";
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a"]), 3, "wrong passphrase");
        cli.Environment["PIPELINE_PKI_CA_PASSPHRASE"] = null;
        ErrorAssert.OneLine(await cli.RunAsync([.. common, "--name", "a"]), 2, "passphrase");

        // None of the failures left output behind.
        Assert.False(Directory.Exists(cli.PathOf("out")));
    }

    [Fact]
    public async Task Issue_JsonFormatError_PrintsErrorDocumentOnStdout()
    {
        using var cli = new CliSession();
        var result = await cli.RunAsync("cert", "issue", "--home", cli.PathOf("no-ca"), "--out", cli.PathOf("out"), "--name", "a", "--format", "json");
        Assert.Equal(3, result.ExitCode);
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(3, json.RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Issue_PassphraseFromCustomVariable()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        cli.Environment["PIPELINE_PKI_CA_PASSPHRASE"] = null;
        cli.Environment["MY_CA_PASS"] = CliSession.Passphrase;
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "a", "--out", cli.PathOf("o"), "--passphrase-env", "MY_CA_PASS");
    }

    [Fact]
    public async Task Issue_RecordsCiIdentityFromGitHubEnvironment()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        cli.Environment["GITHUB_ACTIONS"] = "true";
        cli.Environment["GITHUB_REPOSITORY"] = "acme/widgets";
        cli.Environment["GITHUB_RUN_ID"] = "777";
        cli.Environment["GITHUB_RUN_ATTEMPT"] = "2";
        cli.Environment["GITHUB_SHA"] = "0123abcd";
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "a", "--out", cli.PathOf("o"));
        var inventory = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json")).StandardOutput);
        var row = inventory.RootElement.EnumerateArray().Single(r => r.GetProperty("subject").GetString() == "CN=a");
        Assert.Equal("acme/widgets", row.GetProperty("repository").GetString());
        Assert.Equal("777/2", row.GetProperty("runId").GetString());
        Assert.Equal("0123abcd", row.GetProperty("commit").GetString());
        Assert.StartsWith("github:", row.GetProperty("requestedBy").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_CertificateCsrCrlBundleDer_TextAndJson()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "i", "--san", "ip:10.0.0.1", "--out", cli.PathOf("o"));
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("c.crl"));
        await OpenSsl.RunAsync("req", "-new", "-newkey", "ed25519", "-nodes", "-keyout", cli.PathOf("k.pem"), "-subj", "/CN=csr", "-out", cli.PathOf("r.csr"));
        await OpenSsl.RunAsync("x509", "-in", cli.PathOf("o", "cert.pem"), "-outform", "DER", "-out", cli.PathOf("cert.der"));

        var cert = await cli.RunOkAsync("cert", "inspect", cli.PathOf("o", "cert.pem"));
        Assert.Contains("CN=i", cert.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ip:10.0.0.1", cert.StandardOutput, StringComparison.Ordinal);
        var der = JsonDocument.Parse((await cli.RunOkAsync("cert", "inspect", cli.PathOf("cert.der"), "--format", "json")).StandardOutput);
        Assert.Equal("certificate", der.RootElement.GetProperty("objects")[0].GetProperty("kind").GetString());
        var bundle = JsonDocument.Parse((await cli.RunOkAsync("cert", "inspect", cli.PathOf("o", "fullchain.pem"), "--format", "json")).StandardOutput);
        Assert.Equal(2, bundle.RootElement.GetProperty("objects").GetArrayLength());
        Assert.True(bundle.RootElement.GetProperty("objects")[1].GetProperty("certificate").GetProperty("isCertificateAuthority").GetBoolean());
        var csr = JsonDocument.Parse((await cli.RunOkAsync("cert", "inspect", cli.PathOf("r.csr"), "--format", "json")).StandardOutput);
        Assert.Equal("ed25519", csr.RootElement.GetProperty("objects")[0].GetProperty("csr").GetProperty("keyType").GetString());
        Assert.True(csr.RootElement.GetProperty("objects")[0].GetProperty("csr").GetProperty("signatureValid").GetBoolean());
        var crl = await cli.RunOkAsync("cert", "inspect", cli.PathOf("c.crl"));
        Assert.Contains("CRL from CN=E2E Issuing CA, O=E2E", crl.StandardOutput, StringComparison.Ordinal);
        // A key file is recognised but never echoed.
        var key = await cli.RunOkAsync("cert", "inspect", cli.PathOf("o", "key.pem"));
        Assert.Contains("contents not shown", key.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_BadFiles_BadInput()
    {
        using var cli = new CliSession();
        await File.WriteAllTextAsync(cli.PathOf("text.txt"), "hello, not a certificate");
        await File.WriteAllTextAsync(cli.PathOf("broken.pem"), "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n");
        await File.WriteAllBytesAsync(cli.PathOf("empty"), []);
        ErrorAssert.OneLine(await cli.RunAsync("cert", "inspect", cli.PathOf("text.txt")), 3, "text.txt");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "inspect", cli.PathOf("broken.pem")), 3, "broken.pem");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "inspect", cli.PathOf("empty")), 3, "empty");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "inspect", cli.PathOf("absent.pem")), 3, "absent.pem");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "inspect"), 2, "inspect");
    }
}
