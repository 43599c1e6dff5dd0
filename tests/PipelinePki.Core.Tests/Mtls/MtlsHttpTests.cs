using System.Net;
using Org.BouncyCastle.Asn1.X509;
using PipelinePki.Core.Mtls.Setup;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Pki;

namespace PipelinePki.Core.Tests.Mtls;

/// <summary>The .NET caller's API against a real nginx that demands a client certificate.</summary>
public class MtlsHttpTests
{
    [Fact]
    public async Task Handler_NginxRequiringClientCertificate_PresentsChainAndTrustsOnlyTheCa()
    {
        using var temp = new TempDirectory();
        var pki = new TestPki();
        var root = pki.Root("Http Root").Build();
        var issuing = pki.Intermediate("Http Issuing", root).Ca(pathLen: 0).Build();
        var server = pki.Leaf("server", issuing).Ip("127.0.0.1").ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth).Build();
        var client = pki.Leaf("dotnet-client", issuing).ExtendedKeyUsage(KeyPurposeID.id_kp_clientAuth).Build();
        var serverChain = TestPki.WriteBundle(temp, "server-chain.pem", [server, issuing]);
        var clientChain = TestPki.WriteBundle(temp, "client-chain.pem", [client, issuing]);
        var rootFile = root.WritePem(temp, "root.pem");
        var crls = temp.Combine("crls.pem");
        File.WriteAllText(crls, pki.Crl(issuing).Build().ToPem() + pki.Crl(root).Build().ToPem());
        await using var nginx = await NginxServer.StartAsync(temp.Path, new NginxOptions(serverChain, server.WriteKeyPem(temp, "server.key"), ClientCa: rootFile, ClientCrl: crls));

        using var credentials = MtlsHttp.LoadCredentials(clientChain, client.WriteKeyPem(temp, "client.key"), rootFile);
        Assert.Single(credentials.Intermediates);
        using (var http = new HttpClient(MtlsHttp.Handler(credentials)))
        {
            var body = await http.GetStringAsync(new Uri(nginx.Url, "whoami"));
            Assert.Equal("SUCCESS CN=dotnet-client\n", body);
        }

        // Same trust, no client certificate: nginx answers 400, so the success above was the certificate.
        using var bare = new HttpClient(new SocketsHttpHandler { SslOptions = { CertificateChainPolicy = MtlsHttp.ClientAuthenticationOptions(credentials).CertificateChainPolicy } });
        Assert.Equal(HttpStatusCode.BadRequest, (await bare.GetAsync(new Uri(nginx.Url, "whoami"))).StatusCode);

        // Trust is the CA only: a handler trusting another CA refuses this server.
        var stranger = new TestPki().Root("Stranger").Build();
        using var strangerCredentials = MtlsHttp.LoadCredentials(clientChain, client.WriteKeyPem(temp, "client2.key"), stranger.WritePem(temp, "stranger.pem"));
        using var wrongTrust = new HttpClient(MtlsHttp.Handler(strangerCredentials));
        await Assert.ThrowsAsync<HttpRequestException>(() => wrongTrust.GetAsync(new Uri(nginx.Url, "whoami")));
    }
}
