using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace PipelinePki.Core.Validation;

/// <summary>Small questions about certificates that path building and validation keep asking.</summary>
internal static class CertificateFacts
{
    public static bool IsSelfIssued(X509Certificate certificate) => certificate.SubjectDN.Equivalent(certificate.IssuerDN);

    public static byte[]? SubjectKeyId(X509Certificate certificate) =>
        certificate.CertificateStructure.TbsCertificate.Extensions?.GetExtension(X509Extensions.SubjectKeyIdentifier) is { } e
            ? SubjectKeyIdentifier.GetInstance(e.GetParsedValue()).GetKeyIdentifier()
            : null;

    public static byte[]? AuthorityKeyId(X509Certificate certificate) =>
        certificate.CertificateStructure.TbsCertificate.Extensions?.GetExtension(X509Extensions.AuthorityKeyIdentifier) is { } e
            ? AuthorityKeyIdentifier.GetInstance(e.GetParsedValue()).KeyIdentifier?.GetOctets()
            : null;

    /// <summary>The RFC 5280 §4.2.1.2 key identifier we would compute, for issuers that carry no SKI.</summary>
    public static byte[] ComputedKeyId(X509Certificate certificate) =>
        Encoding.ManagedDigest.Sha1(certificate.CertificateStructure.SubjectPublicKeyInfo.PublicKey.GetBytes());

    /// <summary>Does <paramref name="certificate"/>'s signature verify with the key in <paramref name="issuerPublicKeyInfo"/> (DER SPKI)?</summary>
    public static bool SignatureVerifies(X509Certificate certificate, byte[]? issuerPublicKeyInfo, SignatureVerifier signatures)
    {
        if (issuerPublicKeyInfo is null)
        {
            return false;
        }

        if (certificate.SigAlgOid == "1.2.840.113549.1.1.10")
        {
            // RSA-PSS carries its parameters in the AlgorithmIdentifier; BouncyCastle's certificate check reads them.
            try
            {
                return certificate.IsSignatureValid(PublicKeyFactory.CreateKey(SubjectPublicKeyInfo.GetInstance(issuerPublicKeyInfo)));
            }
            catch (Exception e) when (e is ArgumentException or InvalidKeyException or SecurityUtilityException or CryptoException
                or InvalidCastException or Org.BouncyCastle.Security.Certificates.CertificateException or IOException)
            {
                return false;
            }
        }

        return signatures.Verify(certificate.SigAlgOid, certificate.GetTbsCertificate(), certificate.GetSignature(), issuerPublicKeyInfo);
    }

    public static byte[] PublicKeyInfo(X509Certificate certificate) => certificate.CertificateStructure.SubjectPublicKeyInfo.GetEncoded();

    public static bool ValidAt(X509Certificate certificate, DateTime atUtc) =>
        certificate.NotBefore.ToUniversalTime() <= atUtc && atUtc <= certificate.NotAfter.ToUniversalTime();

    public static string Subject(X509Certificate certificate) => Certificates.CertificateDescriber.FormatName(certificate.SubjectDN);

    /// <summary>Byte-identical certificates. The signature is compared first: it differs for any two distinct certificates and avoids re-encoding both.</summary>
    public static bool SameCertificate(X509Certificate a, X509Certificate b) =>
        ReferenceEquals(a, b)
        || (a.CertificateStructure.Signature.GetBytes().AsSpan().SequenceEqual(b.CertificateStructure.Signature.GetBytes())
            && a.GetEncoded().AsSpan().SequenceEqual(b.GetEncoded()));

    public static Asn1Object? ExtensionValue(X509Certificate certificate, DerObjectIdentifier oid) =>
        certificate.CertificateStructure.TbsCertificate.Extensions?.GetExtension(oid)?.GetParsedValue();
}
