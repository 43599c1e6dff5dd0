using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class SignVerifyTests
{
    private static async Task<CliSession> SignerAsync()
    {
        var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "release", "--profile", "code-signing",
            "--san", "uri:spiffe://e2e.internal/ci/release@refs/heads/main", "--out", cli.PathOf("signer"));
        await File.WriteAllBytesAsync(cli.PathOf("app.tar"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(2_500_000));
        return cli;
    }

    [Fact]
    public async Task Sign_WithLocalTimestamp_OpenSslAcceptsAndVerifyPassesAllChecks()
    {
        using var cli = await SignerAsync();
        var signed = await cli.RunOkAsync("sign", cli.PathOf("app.tar"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"),
            "--home", cli.Home, "--format", "json");
        using (var json = JsonDocument.Parse(signed.StandardOutput))
        {
            var item = json.RootElement.GetProperty("signed")[0];
            Assert.Equal(cli.PathOf("app.tar") + ".p7s", item.GetProperty("signature").GetString());
            Assert.True(item.TryGetProperty("timestampTime", out _));
        }

        var openssl = await OpenSsl.RunAsync("cms", "-verify", "-binary", "-inform", "DER", "-in", cli.PathOf("app.tar.p7s"), "-content", cli.PathOf("app.tar"),
            "-CAfile", cli.PathOf("signer", "root.pem"), "-purpose", "any", "-out", "/dev/null");
        Assert.Contains("Verification successful", openssl.Combined, StringComparison.Ordinal);

        var verified = await cli.RunAsync("verify", cli.PathOf("app.tar"), "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none",
            "--identity", "spiffe://e2e\\.internal/ci/release@refs/heads/main", "--format", "json");
        Assert.True(verified.ExitCode == 0, verified.ToString());
        using var result = JsonDocument.Parse(verified.StandardOutput);
        var checks = result.RootElement.GetProperty("artifacts")[0].GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("check").GetString()!, c => c.GetProperty("status").GetString());
        foreach (var name in new[] { "integrity", "signature", "timestamp", "signing-time", "identity" })
        {
            Assert.Equal("Passed", checks[name]);
        }
    }

    [Fact]
    public async Task Verify_AfterCertificateExpired_ValidWithTimestampOnly()
    {
        using var cli = await SignerAsync();
        File.Copy(cli.PathOf("app.tar"), cli.PathOf("plain.tar"));
        await cli.RunOkAsync("sign", cli.PathOf("app.tar"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home, "--timestamp", "local");
        var unstamped = await cli.RunOkAsync("sign", cli.PathOf("plain.tar"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--timestamp", "none");
        Assert.Contains("no timestamp", unstamped.StandardError, StringComparison.Ordinal);
        var later = DateTimeOffset.UtcNow.AddDays(3).ToString("O");

        var stamped = await cli.RunAsync("verify", cli.PathOf("app.tar"), "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none", "--at", later);
        Assert.True(stamped.ExitCode == 0, stamped.ToString());
        var expired = await cli.RunAsync("verify", cli.PathOf("plain.tar"), "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none", "--at", later);
        Assert.Equal(4, expired.ExitCode);
        Assert.Contains("expired", expired.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_TamperedArtifactSignatureOrIdentity_NotValid()
    {
        using var cli = await SignerAsync();
        await cli.RunOkAsync("sign", cli.PathOf("app.tar"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home, "--out-dir", cli.PathOf("sigs"));
        string[] verify = ["verify", cli.PathOf("app.tar"), "--signature", cli.PathOf("sigs", "app.tar.p7s"), "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none"];
        await cli.RunOkAsync(verify);

        var wrongIdentity = await cli.RunAsync([.. verify, "--identity", "spiffe://e2e\\.internal/ci/deploy.*"]);
        Assert.Equal(4, wrongIdentity.ExitCode);
        Assert.Contains("FAIL identity", wrongIdentity.StandardOutput, StringComparison.Ordinal);

        var bytes = await File.ReadAllBytesAsync(cli.PathOf("app.tar"));
        bytes[1_000_000] ^= 0x01;
        await File.WriteAllBytesAsync(cli.PathOf("app.tar"), bytes);
        var tampered = await cli.RunAsync(verify);
        Assert.Equal(4, tampered.ExitCode);
        Assert.Contains("FAIL integrity", tampered.StandardOutput, StringComparison.Ordinal);
        var openssl = await OpenSsl.RunAsync("cms", "-verify", "-binary", "-inform", "DER", "-in", cli.PathOf("sigs", "app.tar.p7s"), "-content", cli.PathOf("app.tar"),
            "-CAfile", cli.PathOf("signer", "root.pem"), "-purpose", "any", "-out", "/dev/null");
        Assert.DoesNotContain("Verification successful", openssl.Combined, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAndVerify_BadInputs_ExitCodes()
    {
        using var cli = await SignerAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "tls", "--profile", "mtls", "--out", cli.PathOf("tls"));
        string[] sign = ["sign", cli.PathOf("app.tar"), "--timestamp", "none"];
        ErrorAssert.OneLine(await cli.RunAsync([.. sign, "--key", cli.PathOf("tls", "key.pem"), "--cert", cli.PathOf("signer", "cert.pem")]), 3, "does not belong");
        ErrorAssert.OneLine(await cli.RunAsync([.. sign, "--key", cli.PathOf("tls", "key.pem"), "--cert", cli.PathOf("tls", "cert.pem")]), 4, "code-signing");
        ErrorAssert.OneLine(await cli.RunAsync(["sign", cli.PathOf("missing.bin"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "cert.pem"), "--timestamp", "none"]), 3, "missing.bin");
        ErrorAssert.OneLine(await cli.RunAsync(["sign", cli.PathOf("app.tar"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "cert.pem"), "--timestamp", "ftp://tsa"]), 2, "--timestamp");
        ErrorAssert.OneLine(await cli.RunAsync("verify", cli.PathOf("app.tar"), cli.PathOf("app.tar"), "--signature", "x.p7s", "--trust", cli.PathOf("signer", "root.pem")), 2, "--signature");
        ErrorAssert.OneLine(await cli.RunAsync("verify", cli.PathOf("app.tar"), "--trust", cli.PathOf("signer", "root.pem")), 3, "app.tar.p7s");
        await File.WriteAllTextAsync(cli.PathOf("app.tar.p7s"), "not a signature");
        ErrorAssert.OneLine(await cli.RunAsync("verify", cli.PathOf("app.tar"), "--trust", cli.PathOf("signer", "root.pem")), 3, "app.tar.p7s");
    }
}

public class ManifestTests
{
    [Fact]
    public async Task SignManifest_QuotedGlob_Sha256sumAgreesAndTamperingIsCaught()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "release", "--profile", "code-signing", "--out", cli.PathOf("signer"));
        Directory.CreateDirectory(cli.PathOf("dist", "linux"));
        await File.WriteAllTextAsync(cli.PathOf("dist", "notes.txt"), "release notes\n");
        await File.WriteAllBytesAsync(cli.PathOf("dist", "linux", "app.tar.gz"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(300_000));
        string[] sign = ["sign", cli.PathOf("dist") + "/**/*", "--manifest", cli.PathOf("dist", "SHA256SUMS"), "--key", cli.PathOf("signer", "key.pem"),
            "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home, "--format", "json"];
        var signed = await cli.RunOkAsync(sign);
        using (var json = JsonDocument.Parse(signed.StandardOutput))
        {
            Assert.Equal(2, json.RootElement.GetProperty("manifestEntries").GetInt32());
        }

        // Signing again does not list the previous manifest or its signature.
        await cli.RunOkAsync(sign);
        var lines = await File.ReadAllLinesAsync(cli.PathOf("dist", "SHA256SUMS"));
        Assert.Equal(["linux/app.tar.gz", "notes.txt"], lines.Select(l => l[66..]).ToArray());

        var sha256sum = await ProcessRunner.RunAsync("sha256sum", ["-c", "SHA256SUMS"], cli.PathOf("dist"));
        Assert.True(sha256sum.ExitCode == 0, sha256sum.ToString());

        string[] verify = ["verify", cli.PathOf("dist", "SHA256SUMS"), "--manifest", "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none"];
        await cli.RunOkAsync(verify);
        await File.AppendAllTextAsync(cli.PathOf("dist", "notes.txt"), "tampered\n");
        var tampered = await cli.RunAsync(verify);
        Assert.Equal(4, tampered.ExitCode);
        Assert.Contains("notes.txt: checksum differs", tampered.StandardOutput, StringComparison.Ordinal);
        ErrorAssert.OneLine(await cli.RunAsync(["sign", cli.PathOf("nothing") + "/*.zip", "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "cert.pem"), "--timestamp", "none"]), 3, "matches no file");
    }
}

public class RotationAndSigningTests
{
    [Fact]
    public async Task RotateIntermediate_TsaReissued_SignaturesBeforeAndAfterVerify()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "r1", "--profile", "code-signing", "--out", cli.PathOf("r1"));
        await File.WriteAllTextAsync(cli.PathOf("a.txt"), "before rotation");
        await cli.RunOkAsync("sign", cli.PathOf("a.txt"), "--key", cli.PathOf("r1", "key.pem"), "--cert", cli.PathOf("r1", "fullchain.pem"), "--home", cli.Home);
        var tsaBefore = await File.ReadAllTextAsync(Path.Combine(cli.Home, "tsa.pem"));

        await cli.RunOkAsync("ca", "rotate-intermediate", "--home", cli.Home, "--ttl", "180d");
        Assert.NotEqual(tsaBefore, await File.ReadAllTextAsync(Path.Combine(cli.Home, "tsa.pem")));
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "r2", "--profile", "code-signing", "--out", cli.PathOf("r2"));
        await File.WriteAllTextAsync(cli.PathOf("b.txt"), "after rotation");
        await cli.RunOkAsync("sign", cli.PathOf("b.txt"), "--key", cli.PathOf("r2", "key.pem"), "--cert", cli.PathOf("r2", "fullchain.pem"), "--home", cli.Home);

        // Both signatures carry their own intermediates; the new TSA chains through the new intermediate.
        var later = DateTimeOffset.UtcNow.AddDays(2).ToString("O");
        await cli.RunOkAsync("verify", cli.PathOf("a.txt"), cli.PathOf("b.txt"), "--trust", cli.PathOf("r1", "root.pem"), "--revocation", "none", "--at", later);
    }
}

public class ImageDigestSigningTests
{
    [Fact]
    public async Task SignDigest_NoRegistry_VerifyChecksDigestAndSubject()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "release", "--profile", "code-signing", "--out", cli.PathOf("signer"));
        const string Digest = "sha256:4A5E1E4BAAB89F3A32518A88C31BC87F618F76673E2CC77AB2127B7AFDEDA33B";
        var signed = await cli.RunOkAsync("sign", "--digest", Digest, "--subject", "registry.example/app", "--key", cli.PathOf("signer", "key.pem"),
            "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home, "--out-dir", cli.PathOf("sigs"));
        var payload = cli.PathOf("sigs", "sha256-4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b.payload.json");
        Assert.True(File.Exists(payload + ".p7s"), signed.ToString());
        using (var json = JsonDocument.Parse(await File.ReadAllBytesAsync(payload)))
        {
            Assert.Equal(Digest.ToLowerInvariant(), json.RootElement.GetProperty("critical").GetProperty("image").GetProperty("docker-manifest-digest").GetString());
            Assert.Equal("registry.example/app", json.RootElement.GetProperty("critical").GetProperty("identity").GetProperty("docker-reference").GetString());
        }

        string[] verify = ["verify", payload, "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none"];
        await cli.RunOkAsync([.. verify, "--digest", Digest, "--subject", "registry.example/app"]);
        var otherImage = await cli.RunAsync([.. verify, "--digest", "sha256:" + new string('0', 64)]);
        Assert.Equal(4, otherImage.ExitCode);
        Assert.Contains("FAIL image", otherImage.StandardOutput, StringComparison.Ordinal);
        var otherSubject = await cli.RunAsync([.. verify, "--digest", Digest, "--subject", "registry.example/evil"]);
        Assert.Equal(4, otherSubject.ExitCode);
        ErrorAssert.OneLine(await cli.RunAsync("sign", "--digest", "sha256:abc", "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "cert.pem")), 2, "--digest");
        ErrorAssert.OneLine(await cli.RunAsync("sign", "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "cert.pem")), 2, "--digest");
    }
}

public class SigstoreCliTests
{
    [Fact]
    public async Task Sign_DefaultFormat_WritesCmsAndBundle_SigstoreVerifierAcceptsWithCaTrustedRoot()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "release", "--profile", "code-signing", "--key-type", "ecdsa-p256",
            "--san", "uri:spiffe://e2e.internal/ci/release", "--out", cli.PathOf("signer"));
        await File.WriteAllBytesAsync(cli.PathOf("app.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000));
        await cli.RunOkAsync("sign", cli.PathOf("app.bin"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home);
        Assert.True(File.Exists(cli.PathOf("app.bin.p7s")));
        Assert.True(File.Exists(cli.PathOf("app.bin.sigstore.json")));
        await cli.RunOkAsync("ca", "trusted-root", "--home", cli.Home, "--out", cli.PathOf("trusted_root.json"));

        var script = FindRepoFile("tests/sigstore/verify.mjs");
        var accepted = await ProcessRunner.RunAsync("node", [script, cli.PathOf("app.bin.sigstore.json"), cli.PathOf("app.bin"), cli.PathOf("trusted_root.json"), "--san", "spiffe://e2e\\.internal/ci/.*"]);
        Assert.True(accepted.ExitCode == 0, accepted.ToString());

        var bytes = await File.ReadAllBytesAsync(cli.PathOf("app.bin"));
        bytes[10] ^= 0xFF;
        await File.WriteAllBytesAsync(cli.PathOf("app.bin"), bytes);
        var refused = await ProcessRunner.RunAsync("node", [script, cli.PathOf("app.bin.sigstore.json"), cli.PathOf("app.bin"), cli.PathOf("trusted_root.json"), "--san", "spiffe://e2e\\.internal/ci/.*"]);
        Assert.NotEqual(0, refused.ExitCode);

        // Without a timestamp no bundle can be verified, so the default falls back to CMS and says so; asking for one is an error.
        var noStamp = await cli.RunOkAsync("sign", cli.PathOf("app.bin"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--timestamp", "none", "--out-dir", cli.PathOf("plain"));
        Assert.Contains("no Sigstore bundle", noStamp.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.PathOf("plain", "app.bin.sigstore.json")));
        ErrorAssert.OneLine(await cli.RunAsync("sign", cli.PathOf("app.bin"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--timestamp", "none", "--signature-format", "bundle"), 2, "timestamp");
    }

    private static string FindRepoFile(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
