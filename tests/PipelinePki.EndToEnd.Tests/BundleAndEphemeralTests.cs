using System.Text.Json;
using System.Text.Json.Nodes;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class BundleVerifyTests
{
    private static async Task<CliSession> SignedAsync()
    {
        var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "release", "--profile", "code-signing",
            "--san", "uri:spiffe://e2e.internal/ci/release@refs/heads/main", "--out", cli.PathOf("signer"));
        await File.WriteAllBytesAsync(cli.PathOf("app.tar"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(1_500_000));
        await cli.RunOkAsync("sign", cli.PathOf("app.tar"), "--key", cli.PathOf("signer", "key.pem"), "--cert", cli.PathOf("signer", "fullchain.pem"), "--home", cli.Home);
        return cli;
    }

    private static string[] Verify(CliSession cli, params string[] extra) =>
        ["verify", cli.PathOf("app.tar"), "--trust", cli.PathOf("signer", "root.pem"), "--untrusted", cli.PathOf("signer", "chain.pem"), "--revocation", "none", .. extra];

    private static Dictionary<string, string> Checks(ProcessResult result)
    {
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.GetProperty("artifacts")[0].GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("check").GetString()!, c => c.GetProperty("status").GetString()!);
    }

    [Fact]
    public async Task Verify_BundleBesideArtifact_UsedWhenNoCms_SameChecksAsCms()
    {
        using var cli = await SignedAsync();
        var cms = await cli.RunOkAsync(Verify(cli, "--identity", "spiffe://e2e\\.internal/ci/release@refs/heads/main", "--format", "json"));
        File.Delete(cli.PathOf("app.tar.p7s"));
        var bundle = await cli.RunOkAsync(Verify(cli, "--identity", "spiffe://e2e\\.internal/ci/release@refs/heads/main", "--format", "json"));
        using (var json = JsonDocument.Parse(bundle.StandardOutput))
        {
            Assert.Equal(cli.PathOf("app.tar.sigstore.json"), json.RootElement.GetProperty("artifacts")[0].GetProperty("signature").GetString());
        }

        Assert.Equal(Checks(cms), Checks(bundle));
        foreach (var name in new[] { "integrity", "signature", "timestamp", "signing-time", "identity", "signer.path" })
        {
            Assert.Equal("Passed", Checks(bundle)[name]);
        }

        // A bundle holds the leaf only: without the intermediates the signer's path cannot be built.
        var noChain = await cli.RunAsync("verify", cli.PathOf("app.tar"), "--trust", cli.PathOf("signer", "root.pem"), "--revocation", "none");
        Assert.Equal(4, noChain.ExitCode);
        Assert.Contains("FAIL signer.path", noChain.StandardOutput, StringComparison.Ordinal);

        // --signature with a bundle, detected by content whatever its name; and valid after the certificate expired.
        File.Copy(cli.PathOf("app.tar.sigstore.json"), cli.PathOf("renamed.sig"));
        File.Delete(cli.PathOf("app.tar.sigstore.json"));
        await cli.RunOkAsync(Verify(cli, "--signature", cli.PathOf("renamed.sig"), "--at", DateTimeOffset.UtcNow.AddDays(3).ToString("O")));
        ErrorAssert.OneLine(await cli.RunAsync(Verify(cli)), 3, "app.tar.p7s");
    }

    [Fact]
    public async Task Verify_TamperedBundleArtifactSignatureOrTimestamp_Exit4()
    {
        using var cli = await SignedAsync();
        var original = await File.ReadAllTextAsync(cli.PathOf("app.tar.sigstore.json"));
        string[] verify = Verify(cli, "--signature", cli.PathOf("t.sigstore.json"), "--format", "json");

        async Task<Dictionary<string, string>> WithBundle(Action<JsonNode> edit)
        {
            var node = JsonNode.Parse(original)!;
            edit(node);
            await File.WriteAllTextAsync(cli.PathOf("t.sigstore.json"), node.ToJsonString());
            var result = await cli.RunAsync(verify);
            Assert.True(result.ExitCode == 4, result.ToString());
            return Checks(result);
        }

        static string Flip(string base64, int index)
        {
            var bytes = Convert.FromBase64String(base64);
            bytes[index] ^= 0x01;
            return Convert.ToBase64String(bytes);
        }

        var signature = await WithBundle(n => n["messageSignature"]!["signature"] = Flip(n["messageSignature"]!["signature"]!.GetValue<string>(), 20));
        Assert.Equal("Failed", signature["signature"]);

        // A forged messageDigest does not help: the signature is checked over our own digest of the artifact.
        var digest = await WithBundle(n => n["messageSignature"]!["messageDigest"]!["digest"] = Flip(n["messageSignature"]!["messageDigest"]!["digest"]!.GetValue<string>(), 3));
        Assert.Equal("Failed", digest["integrity"]);
        Assert.Equal("Passed", digest["signature"]);

        var stamp = await WithBundle(n =>
        {
            var entry = n["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]![0]!;
            var bytes = Convert.FromBase64String(entry["signedTimestamp"]!.GetValue<string>());
            entry["signedTimestamp"] = Flip(entry["signedTimestamp"]!.GetValue<string>(), bytes.Length - 10);
        });
        Assert.Equal("Failed", stamp["timestamp"]);

        await File.WriteAllTextAsync(cli.PathOf("t.sigstore.json"), original);
        await cli.RunOkAsync(verify);
        var bytes = await File.ReadAllBytesAsync(cli.PathOf("app.tar"));
        bytes[700_000] ^= 0x80;
        await File.WriteAllBytesAsync(cli.PathOf("app.tar"), bytes);
        var artifact = await cli.RunAsync(verify);
        Assert.Equal(4, artifact.ExitCode);
        Assert.Equal("Failed", Checks(artifact)["integrity"]);
        Assert.Equal("Failed", Checks(artifact)["signature"]);
    }
}

public class EphemeralSigningTests
{
    [Fact]
    public async Task SignEphemeral_KeyNeverWritten_OpenSslAccepts_VerifiesAfterExpiry()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        Directory.CreateDirectory(cli.PathOf("dist"));
        await File.WriteAllTextAsync(cli.PathOf("dist", "a.txt"), "first artifact\n");
        await File.WriteAllBytesAsync(cli.PathOf("dist", "b.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000));
        var signed = await cli.RunOkAsync("sign", "--ephemeral", "--home", cli.Home, "--san", "uri:spiffe://e2e.internal/ci/release@refs/heads/main",
            cli.PathOf("dist", "a.txt"), cli.PathOf("dist", "b.bin"), "--format", "json");
        string serial;
        using (var json = JsonDocument.Parse(signed.StandardOutput))
        {
            var ephemeral = json.RootElement.GetProperty("ephemeral");
            serial = ephemeral.GetProperty("serial").GetString()!;
            var lifetime = ephemeral.GetProperty("notAfter").GetDateTimeOffset() - DateTimeOffset.UtcNow;
            Assert.InRange(lifetime, TimeSpan.FromMinutes(13), TimeSpan.FromMinutes(15.5));
            Assert.Equal(2, json.RootElement.GetProperty("signed").GetArrayLength());
        }

        // One key for every artifact, and nothing of it on disk.
        var signers = new HashSet<string>();
        foreach (var file in new[] { "a.txt", "b.bin" })
        {
            var openssl = await OpenSsl.RunAsync("cms", "-verify", "-binary", "-inform", "DER", "-in", cli.PathOf("dist", file + ".p7s"), "-content", cli.PathOf("dist", file),
                "-CAfile", cli.PathOf("ca", "root.pem"), "-purpose", "any", "-out", "/dev/null", "-signer", cli.PathOf(file + ".signer.pem"));
            Assert.Contains("Verification successful", openssl.Combined, StringComparison.Ordinal);
            signers.Add(await File.ReadAllTextAsync(cli.PathOf(file + ".signer.pem")));
            foreach (var extra in new[] { Array.Empty<string>(), ["--signature", cli.PathOf("dist", file + ".sigstore.json"), "--untrusted", cli.PathOf("ca", "intermediate.pem")] })
            {
                await cli.RunOkAsync(["verify", cli.PathOf("dist", file), "--trust", cli.PathOf("ca", "root.pem"), "--revocation", "none",
                    "--identity", "spiffe://e2e\\.internal/ci/release@refs/heads/main", "--at", DateTimeOffset.UtcNow.AddDays(1).ToString("O"), .. extra]);
            }
        }

        Assert.Single(signers);
        var written = Directory.EnumerateFiles(cli.Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(cli.Home, StringComparison.Ordinal) && File.ReadAllText(f).Contains("PRIVATE KEY", StringComparison.Ordinal));
        Assert.Empty(written);

        // The CA's inventory records the short-lived certificate like any other.
        var inventory = await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json");
        using var rows = JsonDocument.Parse(inventory.StandardOutput);
        var row = rows.RootElement.EnumerateArray().Single(r => r.GetProperty("serial").GetString() == serial);
        Assert.Equal("code-signing", row.GetProperty("profile").GetString());
    }

    [Fact]
    public async Task SignEphemeral_WithoutTimestampOrWithKey_Exit2()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await File.WriteAllTextAsync(cli.PathOf("a.txt"), "artifact\n");
        ErrorAssert.OneLine(await cli.RunAsync("sign", "--ephemeral", "--home", cli.Home, "--timestamp", "none", cli.PathOf("a.txt")), 2, "timestamp");
        ErrorAssert.OneLine(await cli.RunAsync("sign", "--ephemeral", "--home", cli.Home, "--key", cli.PathOf("ca", "root.key.pem"), cli.PathOf("a.txt")), 2, "--ephemeral");
        ErrorAssert.OneLine(await cli.RunAsync("sign", cli.PathOf("a.txt")), 2, "--key");
        Assert.False(File.Exists(cli.PathOf("a.txt.p7s")));
    }
}
