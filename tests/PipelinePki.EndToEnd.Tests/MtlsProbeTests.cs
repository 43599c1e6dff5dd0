using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

/// <summary><c>mtls probe</c> against real TLS servers: nginx (client verification, CRLs, OCSP stapling) and openssl s_server.</summary>
public class MtlsProbeTests
{
    private static async Task<CliSession> PkiAsync()
    {
        var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "localhost", "--san", "dns:localhost", "--san", "ip:127.0.0.1", "--profile", "server", "--out", cli.PathOf("srv"));
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "pipeline", "--san", "uri:spiffe://e2e.internal/ci", "--profile", "client", "--out", cli.PathOf("client"));
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("int.crl"));
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--issuer", "root", "--out", cli.PathOf("root.crl"));
        await File.WriteAllTextAsync(cli.PathOf("all.crl"), await File.ReadAllTextAsync(cli.PathOf("int.crl")) + await File.ReadAllTextAsync(cli.PathOf("root.crl")));
        return cli;
    }

    [Fact]
    public async Task Probe_NginxWithoutClientVerification_ReportsHandshakeAndValidChain()
    {
        using var cli = await PkiAsync();
        await using var nginx = await NginxServer.StartAsync(cli.Root, new NginxOptions(cli.PathOf("srv", "fullchain.pem"), cli.PathOf("srv", "key.pem")));
        var result = await cli.RunAsync("mtls", "probe", $"https://127.0.0.1:{nginx.Port}", "--trust", cli.PathOf("srv", "root.pem"),
            "--crl", cli.PathOf("int.crl"), "--crl", cli.PathOf("root.crl"), "--min-remaining", "1h", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        var root = json.RootElement;
        Assert.Equal("TLS 1.3", root.GetProperty("protocol").GetString());
        Assert.Equal("http/1.1", root.GetProperty("applicationProtocol").GetString());
        Assert.True(root.GetProperty("serverChain").GetProperty("isValid").GetBoolean());
        Assert.False(root.GetProperty("clientAuth").GetProperty("requested").GetBoolean());
        Assert.False(root.GetProperty("staple").GetProperty("present").GetBoolean());
    }

    [Fact]
    public async Task Probe_NginxRequiringClientCertificates_AcceptsOursRefusesRevokedAndStrangers()
    {
        using var cli = await PkiAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "revoked-one", "--profile", "client", "--out", cli.PathOf("revoked"));
        var serial = (await OpenSsl.RunAsync("x509", "-in", cli.PathOf("revoked", "cert.pem"), "-noout", "-serial")).StandardOutput.Trim()["serial=".Length..];
        await cli.RunOkAsync("ca", "revoke", "--home", cli.Home, "--serial", serial, "--reason", "keyCompromise");
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("int.crl"));
        await File.WriteAllTextAsync(cli.PathOf("all.crl"), await File.ReadAllTextAsync(cli.PathOf("int.crl")) + await File.ReadAllTextAsync(cli.PathOf("root.crl")));
        await cli.RunOkAsync("ca", "init", "--home", cli.PathOf("other"), "--name", "Other", "--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.PathOf("other"), "--name", "stranger", "--profile", "client", "--out", cli.PathOf("stranger"));

        await using var nginx = await NginxServer.StartAsync(cli.Root, new NginxOptions(
            cli.PathOf("srv", "fullchain.pem"), cli.PathOf("srv", "key.pem"), ClientCa: cli.PathOf("srv", "root.pem"), ClientCrl: cli.PathOf("all.crl")));
        string[] probe = ["mtls", "probe", $"https://localhost:{nginx.Port}/whoami", "--trust", cli.PathOf("srv", "root.pem"), "--revocation", "none", "--min-remaining", "1h"];

        var accepted = await cli.RunAsync([.. probe, "--client-cert", cli.PathOf("client", "fullchain.pem"), "--client-key", cli.PathOf("client", "key.pem"), "--format", "json"]);
        Assert.True(accepted.ExitCode == 0, accepted.ToString() + nginx.ErrorLog);
        using (var json = JsonDocument.Parse(accepted.StandardOutput))
        {
            var auth = json.RootElement.GetProperty("clientAuth");
            Assert.True(auth.GetProperty("requested").GetBoolean());
            Assert.True(auth.GetProperty("sent").GetBoolean());
            Assert.True(auth.GetProperty("accepted").GetBoolean());
            Assert.Contains("CN=E2E Root CA, O=E2E", auth.GetProperty("acceptableIssuers").EnumerateArray().Select(e => e.GetString()));
        }

        var revoked = await cli.RunAsync([.. probe, "--client-cert", cli.PathOf("revoked", "fullchain.pem"), "--client-key", cli.PathOf("revoked", "key.pem")]);
        Assert.Equal(4, revoked.ExitCode);
        Assert.Contains("REFUSED", revoked.StandardOutput, StringComparison.Ordinal);

        var stranger = await cli.RunAsync([.. probe, "--client-cert", cli.PathOf("stranger", "fullchain.pem"), "--client-key", cli.PathOf("stranger", "key.pem")]);
        Assert.Equal(4, stranger.ExitCode);

        var mismatched = await cli.RunAsync([.. probe, "--client-cert", cli.PathOf("client", "cert.pem"), "--client-key", cli.PathOf("stranger", "key.pem")]);
        ErrorAssert.OneLine(mismatched, 3, "does not belong");
        ErrorAssert.OneLine(await cli.RunAsync([.. probe, "--client-cert", cli.PathOf("client", "cert.pem")]), 2, "--client-key");
    }

    [Fact]
    public async Task Probe_NginxStaplingOcspResponse_StapleVerified()
    {
        using var cli = await PkiAsync();
        // The staple is made by OpenSSL's own responder from an index that says "good".
        var serial = (await OpenSsl.RunAsync("x509", "-in", cli.PathOf("srv", "cert.pem"), "-noout", "-serial")).StandardOutput.Trim()["serial=".Length..];
        var expiry = DateTime.UtcNow.AddDays(2).ToString("yyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "Z";
        await File.WriteAllTextAsync(cli.PathOf("index.txt"), $"V\t{expiry}\t\t{serial}\tunknown\t/CN=localhost\n");
        var request = await OpenSsl.RunAsync("ocsp", "-issuer", cli.PathOf("srv", "chain.pem"), "-cert", cli.PathOf("srv", "cert.pem"), "-no_nonce", "-reqout", cli.PathOf("req.der"));
        Assert.True(request.ExitCode == 0, request.ToString());
        var response = await OpenSsl.RunAsync("ocsp", "-index", cli.PathOf("index.txt"), "-rsigner", Path.Combine(cli.Home, "intermediate.pem"),
            "-rkey", Path.Combine(cli.Home, "intermediate.key.pem"), "-CA", Path.Combine(cli.Home, "intermediate.pem"), "-reqin", cli.PathOf("req.der"),
            "-respout", cli.PathOf("staple.der"), "-ndays", "1");
        Assert.True(response.ExitCode == 0, response.ToString());

        await using var nginx = await NginxServer.StartAsync(cli.Root, new NginxOptions(cli.PathOf("srv", "fullchain.pem"), cli.PathOf("srv", "key.pem"), StaplingFile: cli.PathOf("staple.der")));
        var result = await cli.RunAsync("mtls", "probe", $"https://localhost:{nginx.Port}", "--trust", cli.PathOf("srv", "root.pem"), "--revocation", "none", "--min-remaining", "1h", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString() + nginx.ErrorLog);
        using var json = JsonDocument.Parse(result.StandardOutput);
        var staple = json.RootElement.GetProperty("staple");
        Assert.True(staple.GetProperty("present").GetBoolean(), result.StandardOutput + nginx.ErrorLog);
        Assert.Equal("good", staple.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Probe_OpenSslServerTls12AndUnreachable()
    {
        using var cli = await PkiAsync();
        await using var server = await OpenSslServer.StartAsync(cli.PathOf("srv", "cert.pem"), cli.PathOf("srv", "key.pem"), cli.PathOf("srv", "chain.pem"), "-tls1_2");
        var result = await cli.RunAsync("mtls", "probe", $"https://localhost:{server.Port}", "--trust", cli.PathOf("srv", "root.pem"), "--revocation", "none", "--min-remaining", "1h");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("TLS 1.2", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("chain valid", result.StandardOutput, StringComparison.Ordinal);

        var expiring = await cli.RunAsync("mtls", "probe", $"https://localhost:{server.Port}", "--trust", cli.PathOf("srv", "root.pem"), "--revocation", "none", "--min-remaining", "30d");
        Assert.Equal(4, expiring.ExitCode);
        Assert.Contains("expires in", expiring.StandardOutput, StringComparison.Ordinal);

        ErrorAssert.OneLine(await cli.RunAsync("mtls", "probe", $"https://127.0.0.1:{TestKit.Http.LoopbackPkiServer.FreeTcpPort()}", "--trust", cli.PathOf("srv", "root.pem"), "--timeout", "2s"), 6, "cannot connect");
        ErrorAssert.OneLine(await cli.RunAsync("mtls", "probe", "http://localhost:80", "--trust", cli.PathOf("srv", "root.pem")), 2, "https://");
    }
}
