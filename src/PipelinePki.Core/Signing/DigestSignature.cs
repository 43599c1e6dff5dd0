using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PipelinePki.Core.Signing;

/// <summary>Checks a signature over a digest we computed (Sigstore message signatures: ECDSA DER or RSA PKCS#1 v1.5).</summary>
internal static class DigestSignature
{
    /// <summary>Null when <paramref name="signature"/> signs <paramref name="digest"/> with the certificate's key; otherwise what is wrong.</summary>
    public static string? Verify(byte[] certificateDer, byte[] digest, HashAlgorithmName hash, byte[] signature)
    {
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
            using (var ecdsa = certificate.GetECDsaPublicKey())
            {
                if (ecdsa is not null)
                {
                    return ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence)
                        ? null
                        : "the signature does not verify with the certificate's key over the artifact's digest";
                }
            }

            using (var rsa = certificate.GetRSAPublicKey())
            {
                if (rsa is not null)
                {
                    return rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1)
                        ? null
                        : "the signature does not verify with the certificate's key over the artifact's digest";
                }
            }

            return $"the certificate's key ({certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value}) cannot make Sigstore message signatures (ECDSA or RSA only)";
        }
        catch (CryptographicException e)
        {
            return $"the signature cannot be checked ({e.Message})";
        }
    }
}
