using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PipelinePki.Core;
using PipelinePki.Core.Certificates;

namespace PipelinePki.Sources.Acme;

/// <summary>
/// The roots trusted for the ACME server's TLS when <c>--acme-ca-bundle</c> is given. It travels
/// with each request (HttpRequestMessage options), so the factory-made handler stays shared and no
/// static or mutable trust store is needed.
/// </summary>
public sealed class AcmeTrust
{
    internal static readonly HttpRequestOptionsKey<AcmeTrust> OptionKey = new("PipelinePki.AcmeTrust");

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

    /// <summary>The handler's validation callback: system trust unless the request carries a bundle, then only that bundle.</summary>
    public static bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (sender is not HttpRequestMessage request || !request.Options.TryGetValue(OptionKey, out var trust))
        {
            return errors == SslPolicyErrors.None;
        }

        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trust.roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        // The bundle may hold the issuing intermediate rather than a self-signed root.
        custom.ChainPolicy.ExtraStore.AddRange(trust.roots);
        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
