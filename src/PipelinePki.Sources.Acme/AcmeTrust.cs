using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PipelinePki.Core;
using PipelinePki.Core.Certificates;

namespace PipelinePki.Sources.Acme;

/// <summary>
/// The roots trusted for the ACME server's TLS when <c>--acme-ca-bundle</c> is given. The bundle's
/// path is part of the named HttpClient ("acme|PATH"), so the factory builds (and pools) a handler
/// that trusts exactly that bundle, with no static or mutable trust store.
/// </summary>
public sealed class AcmeTrust
{
    private readonly X509Certificate2Collection roots;

    private AcmeTrust(X509Certificate2Collection roots) => this.roots = roots;

    public static AcmeTrust Load(string bundlePath)
    {
        var certificates = PkiObjectReader.ReadCertificates(bundlePath);
        if (certificates.Count == 0)
        {
            throw new BadInputException($"--acme-ca-bundle: {bundlePath} holds no certificate; give the PEM bundle of the CA that issued the ACME server's TLS certificate.");
        }

        var roots = new X509Certificate2Collection();
        foreach (var certificate in certificates)
        {
            roots.Add(X509CertificateLoader.LoadCertificate(certificate.GetEncoded()));
        }

        return new AcmeTrust(roots);
    }

    /// <summary>TLS 1.2+; the system trust store, or only <paramref name="trust"/> when given.</summary>
    public static SocketsHttpHandler CreateHandler(AcmeTrust? trust)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = { EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 },
            // ACME answers with Location headers we read ourselves; following them would turn a POST into a GET.
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        if (trust is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => trust.Validate(certificate, chain, errors);
        }

        return handler;
    }

    private bool Validate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
