using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace PipelinePki.Core.Mtls;

/// <summary>What a TLS server presented in one handshake.</summary>
public sealed record TlsHandshakeResult(
    Uri Endpoint,
    X509Certificate2 Leaf,
    IReadOnlyList<X509Certificate2> Presented,
    SslProtocols Protocol,
    string CipherSuite,
    string? ApplicationProtocol);

/// <summary>
/// Connects to <c>https://host:port</c> and records the certificates the server sends. The .NET
/// trust decision is switched off on purpose: our own verifier judges the chain, so an untrusted or
/// expired server still yields a report instead of an exception. TLS 1.2 and 1.3 only.
/// </summary>
public static class TlsEndpoint
{
    public static Uri ParseEndpoint(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host))
        {
            throw new UsageException($"'{text}' is not an endpoint; write https://host[:port].");
        }

        return uri;
    }

    public static async Task<TlsHandshakeResult> HandshakeAsync(
        Uri endpoint, TimeSpan timeout, X509Certificate2? clientCertificate, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var port = endpoint.IsDefaultPort ? 443 : endpoint.Port;
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(endpoint.IdnHost, port, deadline.Token);
            X509Certificate2? leaf = null;
            var presented = new List<X509Certificate2>();
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, chain, _) =>
            {
                if (certificate is not null)
                {
                    leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                }

                // On Linux the server's extra certificates arrive in the chain policy's extra store.
                if (chain is not null)
                {
                    presented.AddRange(chain.ChainPolicy.ExtraStore.Select(c => X509CertificateLoader.LoadCertificate(c.RawData)));
                }

                return true;
            });
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = endpoint.IdnHost,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
            };
            await tls.AuthenticateAsClientAsync(options, deadline.Token);
            if (leaf is null)
            {
                throw new RemoteFailureException(endpoint.ToString(), $"{endpoint}: the server presented no certificate.");
            }

            var others = presented.Where(p => !p.RawData.AsSpan().SequenceEqual(leaf.RawData)).ToList();
            return new TlsHandshakeResult(
                endpoint,
                leaf,
                [leaf, .. others],
                tls.SslProtocol,
                tls.NegotiatedCipherSuite.ToString(),
                tls.NegotiatedApplicationProtocol == default ? null : tls.NegotiatedApplicationProtocol.ToString());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RemoteFailureException(endpoint.ToString(), $"{endpoint}: no TLS handshake within {timeout.TotalSeconds:0.#} s; check the host, port and firewall.");
        }
        catch (SocketException e)
        {
            throw new RemoteFailureException(endpoint.ToString(), $"{endpoint}: cannot connect ({e.SocketErrorCode}); check the host and port.", e);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            throw new RemoteFailureException(endpoint.ToString(), $"{endpoint}: TLS handshake failed ({e.InnerException?.Message ?? e.Message}).", e);
        }
    }
}
