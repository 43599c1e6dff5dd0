using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// The <c>dotnet</c> target, as an API: .NET callers (build tasks, deployment tools) get a
/// <see cref="SocketsHttpHandler"/> or <see cref="SslClientAuthenticationOptions"/> that presents
/// the client certificate with its chain, trusts only the given CA, and speaks TLS 1.2 or 1.3.
/// </summary>
public static class MtlsHttp
{
    /// <summary>Loads a certificate (leaf first, chain after), its PEM key and the CA from files as <c>mtls setup</c> takes them.</summary>
    public static MtlsClientCredentials LoadCredentials(string certificatePath, string keyPath, string caPath)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPemFile(certificatePath);
        if (certificates.Count == 0)
        {
            throw new BadInputException($"{certificatePath}: no certificate found; give the client certificate in PEM.");
        }

        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new BadInputException($"{keyPath}: cannot use this key with {certificatePath} ({e.Message}); give the PEM key issued with the certificate.", e);
        }

        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < certificates.Count; i++)
        {
            intermediates.Add(certificates[i]);
        }

        certificates[0].Dispose();
        var trust = new X509Certificate2Collection();
        trust.ImportFromPemFile(caPath);
        return new MtlsClientCredentials(leaf, intermediates, trust);
    }

    /// <summary>Client-side TLS options: our chain offered, the server validated against <see cref="MtlsClientCredentials.Trust"/> only.</summary>
    public static SslClientAuthenticationOptions ClientAuthenticationOptions(MtlsClientCredentials credentials, string? targetHost = null)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            // Short-lived pipeline certificates carry no revocation pointers worth blocking a handshake on.
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(credentials.Trust);
        policy.ExtraStore.AddRange(credentials.Intermediates);
        return new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            // offline: the chain is what the caller gave; nothing is fetched while the handshake waits.
            ClientCertificateContext = SslStreamCertificateContext.Create(credentials.Certificate, credentials.Intermediates, offline: true),
            CertificateChainPolicy = policy,
        };
    }

    /// <summary>An HTTP handler for <see cref="HttpClient"/> (or an IHttpClientFactory primary handler) presenting the client certificate.</summary>
    public static SocketsHttpHandler Handler(MtlsClientCredentials credentials) => new()
    {
        SslOptions = ClientAuthenticationOptions(credentials),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };
}

/// <summary>A client certificate with its private key, the intermediates to send, and the CA to trust.</summary>
public sealed class MtlsClientCredentials(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection trust) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    public X509Certificate2Collection Intermediates { get; } = intermediates;

    public X509Certificate2Collection Trust { get; } = trust;

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var certificate in Intermediates.Concat(Trust))
        {
            certificate.Dispose();
        }
    }
}
