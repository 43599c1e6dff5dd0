using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Signing.Timestamping;

/// <summary>
/// Makes the certificate of a timestamp authority: RFC 3161 §2.3 wants id-kp-timeStamping as the
/// only extended key usage, marked critical. Key usage is digitalSignature and nonRepudiation (the
/// token is evidence), critical; SKI and AKI as for every certificate we issue.
/// </summary>
public static class TsaCertificateFactory
{
    public static X509Certificate Create(
        ISigningKey issuerKey,
        X509Certificate issuer,
        ISigningKey tsaKey,
        string name,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(tsaKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (notAfter <= notBefore)
        {
            throw new ArgumentException("notAfter must be later than notBefore.", nameof(notAfter));
        }

        var publicKey = tsaKey.SubjectPublicKeyInfo;
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(CertificateFactory.NewSerialNumber());
        generator.SetIssuerDN(issuer.SubjectDN);
        generator.SetSubjectDN(CertificateFactory.LeafName(name));
        generator.SetNotBefore(CertificateFactory.WholeSeconds(notBefore));
        generator.SetNotAfter(CertificateFactory.WholeSeconds(notAfter));
        generator.SetSubjectPublicKeyInfo(SubjectPublicKeyInfo.GetInstance(publicKey));
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature | KeyUsage.NonRepudiation));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeID.id_kp_timeStamping));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, CertificateFactory.SubjectKeyIdentifierFor(publicKey));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, CertificateFactory.AuthorityKeyIdentifierFor(issuer));
        return generator.Generate(new KeySignatureFactory(issuerKey));
    }
}
