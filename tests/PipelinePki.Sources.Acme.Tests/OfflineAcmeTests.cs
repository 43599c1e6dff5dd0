using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Asn1.X509;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Http;

namespace PipelinePki.Sources.Acme.Tests;

/// <summary>What needs no Pebble: an unreachable CA, and ARI against a loopback renewalInfo stand-in (Pebble 2.4 has no ARI).</summary>
public sealed class OfflineAcmeTests : IDisposable
{
    private static readonly IReadOnlyDictionary<string, string?>? NoEnvironment = null;
    private readonly TempDirectory temp = new();

    [Fact]
    public async Task CertIssue_UnreachableDirectory_OneLineExit6()
    {
        var url = LoopbackPkiServer.UnreachableUrl("/dir").ToString();

        var result = await CliProcess.RunAsync(NoEnvironment, temp.Path, "cert", "issue", "--source", "acme", "--acme-directory", url, "--state", temp.Combine("state"),
            "--name", "down.build.example", "--out", temp.Combine("out"), "--acme-timeout", "20s");

        Assert.Equal(6, result.ExitCode);
        var line = Assert.Single(ErrorLines(result));
        Assert.StartsWith("pipeline-pki: error: cannot reach the ACME server for directory (connection refused or reset", line, StringComparison.Ordinal);
        Assert.Contains(url, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertIssue_MissingDirectoryOption_UsageExit2()
    {
        var result = await CliProcess.RunAsync(NoEnvironment, temp.Path, "cert", "issue", "--source", "acme", "--name", "x.build.example", "--out", temp.Combine("out"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--acme-directory is required", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcmeRenewalInfo_ServerWithAri_AsksForTheRfc9773IdAndReportsTheWindow()
    {
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), TimeProvider.System);
        using var issued = await authority.IssueAsync(ThrowawayCa.Request("ari.build.example"), CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("issued"), issued);
        var certPath = files.Certificate;
        var certificate = PkiObjectReader.ReadCertificates(certPath)[0];
        var aki = AuthorityKeyIdentifier.GetInstance(certificate.GetExtensionValue(X509Extensions.AuthorityKeyIdentifier).GetOctets()).KeyIdentifier.GetOctets();
        var expectedId = Base64Url.Encode(aki) + "." + Base64Url.Encode(certificate.SerialNumber.ToByteArray());
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var end = DateTimeOffset.UtcNow.AddHours(5);
        await using var server = await AriStandIn.StartAsync(expectedId, start, end);

        var result = await CliProcess.RunAsync(NoEnvironment, temp.Path, "acme", "renewal-info", "--acme-directory", server.DirectoryUrl, "--state", temp.Combine("state"), "--cert", certPath, "--format", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal("ari", json.GetProperty("basis").GetString());
        Assert.True(json.GetProperty("due").GetBoolean());
        Assert.Equal(start.ToUnixTimeSeconds(), json.GetProperty("windowStart").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal("https://ca.example/ari-explained", json.GetProperty("explanationUrl").GetString());
        Assert.Equal([$"/renewal-info/{expectedId}"], server.Paths.Where(p => p.StartsWith("/renewal-info", StringComparison.Ordinal)));
    }

    /// <summary>Progress lines come first on stderr; the failure itself must be exactly one line.</summary>
    private static string[] ErrorLines(ProcessResult result) =>
        result.StandardError.Split('\n').Where(l => l.StartsWith("pipeline-pki: error:", StringComparison.Ordinal)).ToArray();

    public void Dispose() => temp.Dispose();

    /// <summary>A directory with renewalInfo and the one GET ARI needs, on a plain loopback socket.</summary>
    private sealed class AriStandIn : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource stop = new();
        private readonly string expectedId;
        private readonly DateTimeOffset start;
        private readonly DateTimeOffset end;
        private Task? loop;

        private AriStandIn(string expectedId, DateTimeOffset start, DateTimeOffset end)
        {
            this.expectedId = expectedId;
            this.start = start;
            this.end = end;
        }

        public List<string> Paths { get; } = [];

        public string DirectoryUrl => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/dir";

        public static Task<AriStandIn> StartAsync(string expectedId, DateTimeOffset start, DateTimeOffset end)
        {
            var server = new AriStandIn(expectedId, start, end);
            server.listener.Start();
            server.loop = Task.Run(server.LoopAsync);
            return Task.FromResult(server);
        }

        private async Task LoopAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[4096];
                    var read = await stream.ReadAsync(buffer);
                    var path = Encoding.ASCII.GetString(buffer, 0, read).Split(' ')[1];
                    lock (Paths)
                    {
                        Paths.Add(path);
                    }

                    var baseUrl = DirectoryUrl[..^4];
                    var (status, body) = path switch
                    {
                        "/dir" => ("200 OK", $"{{\"newNonce\":\"{baseUrl}/nonce\",\"newAccount\":\"{baseUrl}/account\",\"newOrder\":\"{baseUrl}/order\",\"renewalInfo\":\"{baseUrl}/renewal-info\"}}"),
                        _ when path == "/renewal-info/" + expectedId => ("200 OK", $"{{\"suggestedWindow\":{{\"start\":\"{start:O}\",\"end\":\"{end:O}\"}},\"explanationURL\":\"https://ca.example/ari-explained\"}}"),
                        _ => ("404 Not Found", "{}"),
                    };
                    var bytes = Encoding.UTF8.GetBytes(body);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
                    await stream.WriteAsync(bytes);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            if (loop is not null)
            {
                await loop;
            }

            stop.Dispose();
        }
    }
}
