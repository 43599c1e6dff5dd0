using System.Text.Json;
using Org.BouncyCastle.Security;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Http;

namespace PipelinePki.EndToEnd.Tests;

public class VerifyAndCheckTests
{
    [Fact]
    public async Task Verify_CrlsFetchedFromDistributionPoints_ValidThenRevoked()
    {
        await using var server = await LoopbackPkiServer.StartAsync();
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase", "--crl-url", server.UrlOf("int.crl").ToString(), "--root-crl-url", server.UrlOf("root.crl").ToString());
        var issued = JsonDocument.Parse((await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "svc", "--san", "dns:svc.example", "--out", cli.PathOf("svc"), "--format", "json")).StandardOutput);
        var serial = issued.RootElement.GetProperty("serial").GetString()!;
        await PublishAsync(cli, server);

        var valid = await cli.RunAsync("cert", "verify", cli.PathOf("svc", "fullchain.pem"), "--trust", cli.PathOf("svc", "root.pem"), "--purpose", "server", "--host", "svc.example", "--format", "json");
        Assert.True(valid.ExitCode == 0, valid.ToString());
        using (var json = JsonDocument.Parse(valid.StandardOutput))
        {
            Assert.True(json.RootElement.GetProperty("isValid").GetBoolean());
            Assert.Equal(2, json.RootElement.GetProperty("checks").EnumerateArray().Count(c => c.GetProperty("check").GetString() == "revocation" && c.GetProperty("status").GetString() == "Passed"));
        }

        Assert.True(server.RequestCount("int.crl") >= 1);
        Assert.True(server.RequestCount("root.crl") >= 1);

        await cli.RunOkAsync("ca", "revoke", "--home", cli.Home, "--serial", serial, "--reason", "superseded");
        await PublishAsync(cli, server);
        var revoked = await cli.RunAsync("cert", "verify", cli.PathOf("svc", "cert.pem"), "--trust", cli.PathOf("svc", "root.pem"), "--untrusted", cli.PathOf("svc", "chain.pem"));
        Assert.Equal(4, revoked.ExitCode);
        Assert.Contains("NOT VALID", revoked.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("superseded", revoked.StandardOutput, StringComparison.Ordinal);

        // OpenSSL agrees on the same files.
        await File.WriteAllBytesAsync(cli.PathOf("int.crl"), await new HttpClient().GetByteArrayAsync(server.UrlOf("int.crl")));
        await File.WriteAllBytesAsync(cli.PathOf("root.crl"), await new HttpClient().GetByteArrayAsync(server.UrlOf("root.crl")));
        var openssl = await OpenSsl.RunAsync("verify", "-crl_check_all", "-CRLfile", cli.PathOf("int.crl"), "-CRLfile", cli.PathOf("root.crl"), "-inform", "PEM",
            "-CAfile", cli.PathOf("svc", "root.pem"), "-untrusted", cli.PathOf("svc", "chain.pem"), cli.PathOf("svc", "cert.pem"));
        Assert.NotEqual(0, openssl.ExitCode);
    }

    [Fact]
    public async Task Verify_UnreachableCrlEndpoint_HardFailThenSoftFail()
    {
        using var cli = new CliSession();
        var dead = LoopbackPkiServer.UnreachableUrl("/int.crl");
        await cli.InitAsync("--no-passphrase", "--crl-url", dead.ToString(), "--root-crl-url", dead.ToString());
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "svc", "--out", cli.PathOf("svc"));

        string[] verify = ["cert", "verify", cli.PathOf("svc", "fullchain.pem"), "--trust", cli.PathOf("svc", "root.pem"), "--timeout", "2s"];
        var hard = await cli.RunAsync(verify);
        Assert.Equal(4, hard.ExitCode);
        Assert.Contains("status unknown", hard.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(dead.Authority, hard.StandardOutput, StringComparison.Ordinal);
        var soft = await cli.RunAsync([.. verify, "--soft-fail"]);
        Assert.True(soft.ExitCode == 0, soft.ToString());
        Assert.Contains("warn", soft.StandardOutput, StringComparison.Ordinal);
        var none = await cli.RunAsync([.. verify, "--revocation", "none"]);
        Assert.True(none.ExitCode == 0, none.ToString());
    }

    [Fact]
    public async Task Verify_OcspFromAia_GoodThenRevoked()
    {
        await using var server = await LoopbackPkiServer.StartAsync();
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase", "--ocsp-url", server.UrlOf("ocsp").ToString(), "--root-crl-url", server.UrlOf("root.crl").ToString());
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "svc", "--out", cli.PathOf("svc"));
        await PublishAsync(cli, server, intermediate: false);
        var intermediate = PkiObjectReader.ReadSingleCertificate(Path.Combine(cli.Home, "intermediate.pem"));
        using var key = PrivateKeyCodec.Read(await File.ReadAllBytesAsync(Path.Combine(cli.Home, "intermediate.key.pem")), "intermediate.key.pem", () => null);
        var responder = server.AddOcspResponder("ocsp", intermediate, intermediate, PrivateKeyFactory.CreateKey(key.ExportPkcs8()));
        var leaf = PkiObjectReader.ReadSingleCertificate(cli.PathOf("svc", "cert.pem"));
        responder.SetGood(leaf);

        string[] verify = ["cert", "verify", cli.PathOf("svc", "fullchain.pem"), "--trust", cli.PathOf("svc", "root.pem")];
        var good = await cli.RunAsync(verify);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("ocsp", good.StandardOutput, StringComparison.Ordinal);

        responder.SetRevoked(leaf, DateTimeOffset.UtcNow.AddMinutes(-1), 1);
        var revoked = await cli.RunAsync(verify);
        Assert.Equal(4, revoked.ExitCode);
        Assert.Contains("keyCompromise", revoked.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_BadInputs_ExitCodes()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "x", "--out", cli.PathOf("x"));
        await File.WriteAllTextAsync(cli.PathOf("junk.pem"), "junk");
        var leaf = cli.PathOf("x", "fullchain.pem");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", leaf), 2, "--trust");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", leaf, "--trust", cli.PathOf("junk.pem")), 3, "junk.pem");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", cli.PathOf("missing.pem"), "--trust", leaf), 3, "missing.pem");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", leaf, "--trust", cli.PathOf("x", "root.pem"), "--at", "yesterday"), 2, "--at");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", leaf, "--trust", cli.PathOf("x", "root.pem"), "--policy", "not-an-oid"), 2, "--policy");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", leaf, "--trust", cli.PathOf("x", "root.pem"), "--crl", cli.PathOf("junk.pem")), 3, "junk.pem");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", leaf, "--trust", cli.PathOf("x", "root.pem"), "--purpose", "everything"), 2, "everything");

        // In the future (--at) the 24 h certificate has expired: not valid, exit 4.
        var future = await cli.RunAsync("cert", "verify", leaf, "--trust", cli.PathOf("x", "root.pem"), "--revocation", "none", "--at", DateTimeOffset.UtcNow.AddDays(2).ToString("O"));
        Assert.Equal(4, future.ExitCode);
        Assert.Contains("expired", future.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_OpenSslServerAndNginx_MarginsAndHostName()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "localhost", "--san", "dns:localhost", "--san", "ip:127.0.0.1", "--profile", "server", "--out", cli.PathOf("srv"));
        await using var sserver = await OpenSslServer.StartAsync(cli.PathOf("srv", "cert.pem"), cli.PathOf("srv", "key.pem"), cli.PathOf("srv", "chain.pem"));
        await using var nginx = await NginxServer.StartAsync(cli.Root, new NginxOptions(cli.PathOf("srv", "fullchain.pem"), cli.PathOf("srv", "key.pem")));
        var root = cli.PathOf("srv", "root.pem");

        var ok = await cli.RunAsync("cert", "check", $"https://localhost:{sserver.Port}", $"https://127.0.0.1:{nginx.Port}", cli.PathOf("srv", "fullchain.pem"),
            "--trust", root, "--revocation", "none", "--min-remaining", "12h", "--format", "json");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        using (var json = JsonDocument.Parse(ok.StandardOutput))
        {
            var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(3, rows.Count);
            Assert.All(rows, r => Assert.Equal("Ok", r.GetProperty("status").GetString()));
            Assert.All(rows, r => Assert.Equal("CN=localhost", r.GetProperty("subject").GetString()));
        }

        var warn = await cli.RunAsync("cert", "check", $"https://127.0.0.1:{nginx.Port}", "--trust", root, "--revocation", "none", "--min-remaining", "1h", "--warn-remaining", "30d");
        Assert.Equal(0, warn.ExitCode);
        Assert.Contains("pipeline-pki: warning:", warn.StandardError, StringComparison.Ordinal);

        var tooSoon = await cli.RunAsync("cert", "check", $"https://localhost:{sserver.Port}", "--trust", root, "--revocation", "none", "--min-remaining", "72h");
        Assert.Equal(4, tooSoon.ExitCode);
        Assert.Contains("expires in", tooSoon.StandardOutput, StringComparison.Ordinal);

        // Reached by a name the certificate does not carry: the host name check fails.
        var wrongName = await cli.RunAsync("cert", "check", $"https://[::1]:{nginx.Port}", "--trust", root, "--revocation", "none", "--min-remaining", "1h");
        Assert.NotEqual(0, wrongName.ExitCode);

        await cli.RunOkAsync("ca", "init", "--home", cli.PathOf("other-ca"), "--name", "Other", "--no-passphrase");
        var untrusted = await cli.RunAsync("cert", "check", $"https://127.0.0.1:{nginx.Port}", "--trust", cli.PathOf("other-ca", "root.pem"), "--revocation", "none", "--min-remaining", "1h");
        Assert.Equal(4, untrusted.ExitCode);

        var unreachable = await cli.RunAsync("cert", "check", $"https://127.0.0.1:{LoopbackPkiServer.FreeTcpPort()}", "--trust", root, "--timeout", "2s");
        Assert.Equal(6, unreachable.ExitCode);
        Assert.Contains("unreachable", unreachable.StandardOutput, StringComparison.Ordinal);
    }

    private static async Task PublishAsync(CliSession cli, LoopbackPkiServer server, bool intermediate = true)
    {
        if (intermediate)
        {
            await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("int.crl.der"), "--der");
            server.ServeCrl("int.crl", await File.ReadAllBytesAsync(cli.PathOf("int.crl.der")));
        }

        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--issuer", "root", "--out", cli.PathOf("root.crl.pem"));
        server.ServeCrl("root.crl", await File.ReadAllBytesAsync(cli.PathOf("root.crl.pem")));
    }
}

/// <summary>
/// A build that loaded libcrypto on a second thread crashed at exit in about one Ed25519 run in seven:
/// the verification needed no OpenSSL, finished first, and OpenSSL's exit handler freed state the other
/// thread was using. The warm-up is gone (it bought nothing once verification stopped loading libssl);
/// this keeps any later start-up concurrency honest.
/// </summary>
public class ProcessExitTests
{
    [Theory]
    [InlineData("ed25519")]
    [InlineData("ecdsa-p256")]
    public async Task Verify_ManyConsecutiveRuns_EveryOneExitsCleanly(string keyType)
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase", "--key-type", keyType);
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "svc", "--key-type", keyType, "--out", cli.PathOf("svc"));

        var exitCodes = new List<int>();
        for (var run = 0; run < 40; run++)
        {
            var result = await cli.RunAsync("cert", "verify", cli.PathOf("svc", "cert.pem"), "--trust", cli.PathOf("svc", "root.pem"),
                "--untrusted", cli.PathOf("svc", "chain.pem"), "--revocation", "none", "--format", "json");
            exitCodes.Add(result.ExitCode);
        }

        Assert.All(exitCodes, code => Assert.Equal(0, code));
    }
}
