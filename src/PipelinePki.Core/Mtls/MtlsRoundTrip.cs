using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace PipelinePki.Core.Mtls;

/// <summary>What one loopback mutual-TLS exchange showed: both sides authenticated, and a message went each way.</summary>
public sealed record MtlsRoundTripResult(
    string Endpoint,
    string Protocol,
    string CipherSuite,
    string ServerSawClient,
    string ClientSawServer,
    string Request,
    string Response);

/// <summary>
/// A real mutual-TLS handshake on loopback, in process: an <see cref="SslStream"/> server on
/// 127.0.0.1 (a free port) that demands a client certificate chaining to <c>root</c> with
/// clientAuth, and a client that presents one and checks the server's chain, serverAuth and host
/// name. Both sides validate against the given root only (custom trust), not the system store.
/// Revocation is not checked here: the quickstart CA publishes no CRL URLs.
/// </summary>
public static class MtlsRoundTrip
{
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public static async Task<MtlsRoundTripResult> RunAsync(
        X509Certificate2 serverCertificate,
        X509Certificate2 clientCertificate,
        IReadOnlyList<X509Certificate2> intermediates,
        X509Certificate2 root,
        string hostName,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var token = deadline.Token;
        var extra = new X509Certificate2Collection(intermediates.ToArray());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string? serverSawClient = null;
        string? request = null;

        var server = Task.Run(
            async () =>
            {
                using var accepted = await listener.AcceptTcpClientAsync(token);
                await using var tls = new SslStream(accepted.GetStream(), leaveInnerStreamOpen: false);
                await tls.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = SslStreamCertificateContext.Create(serverCertificate, extra, offline: true),
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                        RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                            certificate is not null && ChainsTo(certificate, root, extra, ClientAuth),
                    },
                    token);
                serverSawClient = tls.RemoteCertificate?.Subject;
                request = await ReadLineAsync(tls, token);
                await tls.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"pong from {hostName}\n"), token);
                await tls.FlushAsync(token);
            },
            token);

        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port, token);
            await using var client = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await client.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = hostName,
                    ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, extra, offline: true),
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                        certificate is not null
                        && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                        && ChainsTo(certificate, root, extra, ServerAuth),
                },
                token);
            var clientSawServer = client.RemoteCertificate?.Subject ?? string.Empty;
            await client.WriteAsync("ping from the build agent\n"u8.ToArray(), token);
            await client.FlushAsync(token);
            var response = await ReadLineAsync(client, token);
            await server;
            return new MtlsRoundTripResult(
                $"127.0.0.1:{port}",
                ProtocolName(client.SslProtocol),
                client.NegotiatedCipherSuite.ToString(),
                serverSawClient ?? string.Empty,
                clientSawServer,
                request ?? string.Empty,
                response);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException)
        {
            throw new NotValidException($"mutual TLS on 127.0.0.1:{port} failed ({e.Message}); the certificate does not work for mTLS with this CA.", e);
        }
        finally
        {
            listener.Stop();
            try
            {
                await server.ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or SocketException or OperationCanceledException)
            {
                // The client side already reported why the exchange failed.
            }
        }
    }

    private static bool ChainsTo(X509Certificate presented, X509Certificate2 root, X509Certificate2Collection intermediates, string purpose)
    {
        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(purpose));
        return chain.Build(leaf);
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken token)
    {
        var buffer = new byte[256];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length, 1), token);
            if (read == 0 || buffer[length] == (byte)'\n')
            {
                break;
            }

            length++;
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol.ToString(),
    };
}
