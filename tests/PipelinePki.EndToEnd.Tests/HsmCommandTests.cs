using System.Diagnostics;
using System.Text.Json;
using PipelinePki.TestKit;
using Xunit.Abstractions;

namespace PipelinePki.EndToEnd.Tests;

/// <summary>
/// PKCS#11 keys through the native AOT binary against a real SoftHSM2 token: artifact signing
/// (OpenSSL judges the CMS), a CA whose root and intermediate keys live on the token (OpenSSL judges
/// certificates and CRLs), and the error lines. The PIN and key material never reach any output.
/// </summary>
[Collection(HsmCollection.Name)]
public sealed class HsmCommandTests(HsmFixture hsm, ITestOutputHelper output)
{
    [Theory]
    [InlineData("p256", "ecdsa-p256")]
    [InlineData("p384", "ecdsa-p384")]
    [InlineData("rsa3072", "rsa-3072")]
    public async Task Sign_KeyGeneratedInTheToken_OpenSslCmsVerifyAcceptsAndVerifyPasses(string label, string keyType)
    {
        using var cli = hsm.Session();
        await cli.InitAsync();
        hsm.WriteCsr(label, cli.PathOf($"{label}.csr"));
        var issued = await RunAsync(cli, "cert", "issue", "--home", cli.Home, "--csr", cli.PathOf($"{label}.csr"), "--profile", "code-signing",
            "--san", "uri:spiffe://e2e.internal/ci/hsm", "--out", cli.PathOf("signer"), "--format", "json");
        using (var json = JsonDocument.Parse(issued.StandardOutput))
        {
            Assert.Equal(keyType, json.RootElement.GetProperty("keyType").GetString());
        }

        Assert.False(File.Exists(cli.PathOf("signer", "key.pem")));
        await File.WriteAllBytesAsync(cli.PathOf("app.tar"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1_500_000));

        var signed = await RunAsync(cli, "sign", cli.PathOf("app.tar"), "--key", hsm.Uri(label), "--module", hsm.Module, "--pin-env", HsmFixture.PinVariable,
            "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home);
        Assert.True(File.Exists(cli.PathOf("app.tar.sigstore.json")), signed.ToString());

        var openssl = await OpenSsl.RunAsync("cms", "-verify", "-binary", "-inform", "DER", "-in", cli.PathOf("app.tar.p7s"), "-content", cli.PathOf("app.tar"),
            "-CAfile", cli.PathOf("signer", "root.pem"), "-purpose", "any", "-out", "/dev/null");
        Assert.Contains("Verification successful", openssl.Combined, StringComparison.Ordinal);
        await RunAsync(cli, "verify", cli.PathOf("app.tar"), "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none", "--identity", "spiffe://e2e\\.internal/ci/hsm");

        var bytes = await File.ReadAllBytesAsync(cli.PathOf("app.tar"));
        bytes[700_000] ^= 0x01;
        await File.WriteAllBytesAsync(cli.PathOf("app.tar"), bytes);
        var tampered = await OpenSsl.RunAsync("cms", "-verify", "-binary", "-inform", "DER", "-in", cli.PathOf("app.tar.p7s"), "-content", cli.PathOf("app.tar"),
            "-CAfile", cli.PathOf("signer", "root.pem"), "-purpose", "any", "-out", "/dev/null");
        Assert.NotEqual(0, tampered.ExitCode);
    }

    [Fact]
    public async Task Sign_ModuleFromEnvironmentVariable_Works()
    {
        using var cli = hsm.Session();
        await cli.InitAsync();
        hsm.WriteCsr("p256", cli.PathOf("p256.csr"));
        await RunAsync(cli, "cert", "issue", "--home", cli.Home, "--csr", cli.PathOf("p256.csr"), "--profile", "code-signing", "--out", cli.PathOf("signer"));
        await File.WriteAllTextAsync(cli.PathOf("notes.txt"), "release notes");
        cli.Environment["PIPELINE_PKI_PKCS11_MODULE"] = hsm.Module;
        cli.Environment["PIPELINE_PKI_PKCS11_PIN"] = HsmFixture.Pin;

        await RunAsync(cli, "sign", cli.PathOf("notes.txt"), "--key", hsm.Uri("p256"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home,
            "--signature-format", "cms");

        var openssl = await OpenSsl.RunAsync("cms", "-verify", "-binary", "-inform", "DER", "-in", cli.PathOf("notes.txt.p7s"), "-content", cli.PathOf("notes.txt"),
            "-CAfile", cli.PathOf("signer", "root.pem"), "-purpose", "any", "-out", "/dev/null");
        Assert.Contains("Verification successful", openssl.Combined, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CaInit_BothKeysOnToken_IssueRevokeCrlsRotateJudgedByOpenSsl()
    {
        using var cli = hsm.Session();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var rootUri = hsm.Uri($"root-{suffix}");
        var intermediateUri = hsm.Uri($"int-{suffix}");
        var init = await RunAsync(cli, "ca", "init", "--home", cli.Home, "--name", "E2E HSM", "--pkcs11-root", rootUri, "--pkcs11-intermediate", intermediateUri,
            "--module", hsm.Module, "--pin-env", HsmFixture.PinVariable, "--format", "json");
        using (var json = JsonDocument.Parse(init.StandardOutput))
        {
            Assert.Equal(rootUri, json.RootElement.GetProperty("rootKeyOnToken").GetString());
            Assert.True(json.RootElement.GetProperty("rootKeyGenerated").GetBoolean());
            Assert.Equal(intermediateUri, json.RootElement.GetProperty("intermediateKeyOnToken").GetString());
        }

        // ca.json records where the keys are, never the PIN; no CA key file exists.
        var config = await File.ReadAllTextAsync(Path.Combine(cli.Home, "ca.json"));
        Assert.Contains($"\"rootKeyUri\": \"{rootUri}\"", config, StringComparison.Ordinal);
        Assert.Contains($"\"intermediateKeyUri\": \"{intermediateUri}\"", config, StringComparison.Ordinal);
        Assert.Contains($"\"pkcs11Module\": \"{hsm.Module}\"", config, StringComparison.Ordinal);
        Assert.Contains($"\"pkcs11PinEnv\": \"{HsmFixture.PinVariable}\"", config, StringComparison.Ordinal);
        Assert.DoesNotContain(HsmFixture.Pin, config, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Home, "root.key.pem")));
        Assert.False(File.Exists(Path.Combine(cli.Home, "intermediate.key.pem")));
        foreach (var label in new[] { $"root-{suffix}", $"int-{suffix}" })
        {
            var block = await hsm.Hsm.DescribeObjectAsync("privkey", label);
            Assert.Contains("never extractable", block, StringComparison.Ordinal);
            Assert.Contains("always sensitive", block, StringComparison.Ordinal);
        }

        // The root on the token signed the intermediate; the intermediate on the token signs leaves and the TSA certificate.
        var intermediateOk = await OpenSsl.RunAsync("verify", "-x509_strict", "-CAfile", Path.Combine(cli.Home, "root.pem"), Path.Combine(cli.Home, "intermediate.pem"));
        Assert.True(intermediateOk.ExitCode == 0, intermediateOk.ToString());
        var tsaOk = await OpenSsl.VerifyAsync(Path.Combine(cli.Home, "root.pem"), Path.Combine(cli.Home, "intermediate.pem"), Path.Combine(cli.Home, "tsa.pem"), "timestampsign");
        Assert.True(tsaOk.ExitCode == 0, tsaOk.ToString());

        var victim = await IssueAsync(cli, "victim");
        var survivor = await IssueAsync(cli, "survivor");
        await RunAsync(cli, "ca", "revoke", "--home", cli.Home, "--serial", victim, "--reason", "keyCompromise");
        await RunAsync(cli, "ca", "crl", "--home", cli.Home, "--out", cli.PathOf("int.crl"));
        await RunAsync(cli, "ca", "crl", "--home", cli.Home, "--issuer", "root", "--out", cli.PathOf("root.crl"));

        var rootCrl = await OpenSsl.RunAsync("crl", "-in", cli.PathOf("root.crl"), "-noout", "-verify", "-CAfile", Path.Combine(cli.Home, "root.pem"));
        Assert.Contains("verify OK", rootCrl.Combined, StringComparison.Ordinal);
        var intermediateCrl = await OpenSsl.RunAsync("crl", "-in", cli.PathOf("int.crl"), "-noout", "-verify", "-CAfile", cli.PathOf("victim", "fullchain.pem"));
        Assert.Contains("verify OK", intermediateCrl.Combined, StringComparison.Ordinal);
        Assert.Contains($"Serial Number: {victim}", await OpenSsl.TextAsync("crl", cli.PathOf("int.crl")), StringComparison.Ordinal);

        string[] crls = ["-crl_check_all", "-CRLfile", cli.PathOf("int.crl"), "-CRLfile", cli.PathOf("root.crl")];
        var revoked = await OpenSsl.VerifyAsync(cli.PathOf("victim", "root.pem"), cli.PathOf("victim", "chain.pem"), cli.PathOf("victim", "cert.pem"), "sslserver", crls);
        Assert.NotEqual(0, revoked.ExitCode);
        Assert.Contains("certificate revoked", revoked.Combined, StringComparison.Ordinal);
        var accepted = await OpenSsl.VerifyAsync(cli.PathOf("survivor", "root.pem"), cli.PathOf("survivor", "chain.pem"), cli.PathOf("survivor", "cert.pem"), "sslserver", crls);
        Assert.True(accepted.ExitCode == 0, accepted.ToString());

        var status = await RunAsync(cli, "ca", "status", "--home", cli.Home);
        Assert.Contains($"{rootUri} (on a PKCS#11 token)", status.StandardOutput, StringComparison.Ordinal);

        // Rotation: the root on the token certifies a new intermediate key generated on the token.
        var nextUri = hsm.Uri($"int2-{suffix}");
        var refused = await cli.RunAsync("ca", "rotate-intermediate", "--home", cli.Home);
        ErrorAssert.OneLine(refused, 2, "--pkcs11-intermediate");
        await RunAsync(cli, "ca", "rotate-intermediate", "--home", cli.Home, "--pkcs11-intermediate", nextUri);
        Assert.Contains($"\"intermediateKeyUri\": \"{nextUri}\"", await File.ReadAllTextAsync(Path.Combine(cli.Home, "ca.json")), StringComparison.Ordinal);
        Assert.Contains(intermediateUri, await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(cli.Home, "archive"), "*.key.uri").Single()), StringComparison.Ordinal);
        await IssueAsync(cli, "after-rotation");
        var rotated = await OpenSsl.VerifyAsync(cli.PathOf("after-rotation", "root.pem"), cli.PathOf("after-rotation", "chain.pem"), cli.PathOf("after-rotation", "cert.pem"), "sslserver");
        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        var newTsa = await OpenSsl.VerifyAsync(Path.Combine(cli.Home, "root.pem"), Path.Combine(cli.Home, "intermediate.pem"), Path.Combine(cli.Home, "tsa.pem"), "timestampsign");
        Assert.True(newTsa.ExitCode == 0, newTsa.ToString());
    }

    [Fact]
    public async Task CaInit_ExistingRootKeyByLabel_AdoptsItAndGeneratesNothingForIt()
    {
        using var cli = hsm.Session();
        var init = await RunAsync(cli, "ca", "init", "--home", cli.Home, "--name", "E2E adopt", "--pkcs11-root", hsm.Uri("existing-root"),
            "--module", hsm.Module, "--pin-env", HsmFixture.PinVariable, "--no-passphrase", "--format", "json");

        using var json = JsonDocument.Parse(init.StandardOutput);
        Assert.False(json.RootElement.GetProperty("rootKeyGenerated").GetBoolean());
        Assert.False(json.RootElement.TryGetProperty("intermediateKeyOnToken", out _));
        Assert.True(File.Exists(Path.Combine(cli.Home, "intermediate.key.pem")));

        // The root certificate carries the token key's public key, as pkcs11-tool exports it.
        var exported = await hsm.Hsm.ExportPublicKeyAsync("existing-root");
        var root = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(cli.Home, "root.pem"));
        Assert.Equal(Convert.ToHexString(exported), Convert.ToHexString(root.PublicKey.ExportSubjectPublicKeyInfo()));
        Assert.Contains("\"rootKeyType\": \"ecdsa-p384\"", await File.ReadAllTextAsync(Path.Combine(cli.Home, "ca.json")), StringComparison.Ordinal);
        await IssueAsync(cli, "leaf");
    }

    [Fact]
    public async Task Errors_WrongPinMissingObjectModuleOrToken_OneLineExit3NamingUriOrModule()
    {
        using var cli = hsm.Session();
        await cli.InitAsync();
        hsm.WriteCsr("p256", cli.PathOf("p256.csr"));
        await RunAsync(cli, "cert", "issue", "--home", cli.Home, "--csr", cli.PathOf("p256.csr"), "--profile", "code-signing", "--out", cli.PathOf("signer"));
        await File.WriteAllTextAsync(cli.PathOf("a.txt"), "a");
        string[] Sign(string key, string module, string pinVariable) =>
            ["sign", cli.PathOf("a.txt"), "--key", key, "--module", module, "--pin-env", pinVariable, "--cert", cli.PathOf("signer", "fullchain.pem"), "--timestamp", "none"];

        cli.Environment["PPKI_WRONG_PIN"] = "wrong-pin-5521";
        var wrongPin = await RunAsync(cli, 3, Sign(hsm.Uri("p256"), hsm.Module, "PPKI_WRONG_PIN"));
        ErrorAssert.OneLine(wrongPin, 3, $"{hsm.Uri("p256")}: PIN rejected by the token (CKR_PIN_INCORRECT)");
        Assert.DoesNotContain("wrong-pin-5521", wrongPin.Combined, StringComparison.Ordinal);

        var missingObject = await RunAsync(cli, 3, Sign(hsm.Uri("no-such-key"), hsm.Module, HsmFixture.PinVariable));
        ErrorAssert.OneLine(missingObject, 3, $"{hsm.Uri("no-such-key")}: no private key object 'no-such-key'");

        var missingModule = await RunAsync(cli, 3, Sign(hsm.Uri("p256"), "/nonexistent/libmissing-pkcs11.so", HsmFixture.PinVariable));
        ErrorAssert.OneLine(missingModule, 3, "/nonexistent/libmissing-pkcs11.so: PKCS#11 module not found");

        var missingToken = await RunAsync(cli, 3, Sign(hsm.Uri("p256", token: "no-such-token"), hsm.Module, HsmFixture.PinVariable));
        ErrorAssert.OneLine(missingToken, 3, "token 'no-such-token' not found in PKCS#11 module " + hsm.Module);

        var pinInUri = await RunAsync(cli, 2, Sign(hsm.Uri("p256") + "?pin-value=" + HsmFixture.Pin, hsm.Module, HsmFixture.PinVariable));
        ErrorAssert.OneLine(pinInUri, 2, "pin-value is not accepted");

        var pinUnset = await RunAsync(cli, 2, Sign(hsm.Uri("p256"), hsm.Module, "PPKI_PIN_NEVER_SET"));
        ErrorAssert.OneLine(pinUnset, 2, "--pin-env PPKI_PIN_NEVER_SET");

        // A CA whose intermediate is on the token: a wrong PIN at issuance is the same one line, exit 3.
        using var ca = hsm.Session();
        await RunAsync(ca, "ca", "init", "--home", ca.Home, "--name", "E2E pin", "--pkcs11-intermediate", hsm.Uri($"pin-int-{Guid.NewGuid():N}"),
            "--module", hsm.Module, "--pin-env", HsmFixture.PinVariable);
        ca.Environment[HsmFixture.PinVariable] = "wrong-pin-5521";
        var issue = await RunAsync(ca, 3, "cert", "issue", "--home", ca.Home, "--name", "x", "--out", ca.PathOf("x"));
        ErrorAssert.OneLine(issue, 3, "PIN rejected by the token");
        Assert.False(File.Exists(ca.PathOf("x", "cert.pem")));
    }

    [Fact]
    public async Task Sign_ThroughTheToken_LatencyMeasuredAgainstASoftwareKey()
    {
        using var cli = hsm.Session();
        await cli.InitAsync();
        hsm.WriteCsr("p384", cli.PathOf("p384.csr"));
        await RunAsync(cli, "cert", "issue", "--home", cli.Home, "--csr", cli.PathOf("p384.csr"), "--profile", "code-signing", "--out", cli.PathOf("hsm"));
        await RunAsync(cli, "cert", "issue", "--home", cli.Home, "--name", "soft", "--profile", "code-signing", "--out", cli.PathOf("soft"));
        await File.WriteAllTextAsync(cli.PathOf("a.txt"), "a");

        var token = await TimeAsync(cli, "sign", cli.PathOf("a.txt"), "--key", hsm.Uri("p384"), "--module", hsm.Module, "--pin-env", HsmFixture.PinVariable,
            "--cert", cli.PathOf("hsm", "fullchain.pem"), "--timestamp", "none", "--signature-format", "cms");
        var software = await TimeAsync(cli, "sign", cli.PathOf("a.txt"), "--key", cli.PathOf("soft", "key.pem"),
            "--cert", cli.PathOf("soft", "fullchain.pem"), "--timestamp", "none", "--signature-format", "cms");

        // Reported, and bounded loosely: loading SoftHSM and logging in must not cost seconds.
        output.WriteLine($"sign, ecdsa-p384, CMS, no timestamp: token {token.TotalMilliseconds:F0} ms, software key {software.TotalMilliseconds:F0} ms (median of 5)");
        Assert.True(token < software + TimeSpan.FromSeconds(2), $"token {token}, software {software}");
    }

    private static async Task<TimeSpan> TimeAsync(CliSession cli, params string[] arguments)
    {
        var times = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            await RunAsync(cli, arguments);
            times.Add(watch.Elapsed);
        }

        return times.Order().ElementAt(2);
    }

    private static async Task<string> IssueAsync(CliSession cli, string name)
    {
        var issued = await RunAsync(cli, "cert", "issue", "--home", cli.Home, "--name", $"{name}.e2e.internal", "--profile", "server", "--out", cli.PathOf(name), "--format", "json");
        using var json = JsonDocument.Parse(issued.StandardOutput);
        return json.RootElement.GetProperty("serial").GetString()!;
    }

    private static Task<ProcessResult> RunAsync(CliSession cli, params string[] arguments) => RunAsync(cli, 0, arguments);

    /// <summary>Runs the CLI expecting <paramref name="exitCode"/>; the PIN and any key material must be absent from its output.</summary>
    private static async Task<ProcessResult> RunAsync(CliSession cli, int exitCode, params string[] arguments)
    {
        var result = await cli.RunAsync(arguments);
        Assert.True(result.ExitCode == exitCode, $"pipeline-pki {string.Join(' ', arguments)}\n{result}");
        Assert.DoesNotContain(HsmFixture.Pin, result.Combined, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", result.Combined, StringComparison.Ordinal);
        return result;
    }
}
