using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;

namespace PipelinePki.Core.Validation;

/// <summary>
/// Verifies an X.509 signature (certificate or CRL) over its to-be-signed bytes. ECDSA and RSA
/// PKCS#1 go through the platform's crypto (OpenSSL): BouncyCastle re-proves every RSA modulus
/// composite with Miller-Rabin when it loads a public key, which made a 3-certificate RSA chain
/// cost 140 ms (bench/verify.sh). Ed25519, RSA-PSS and anything else go through BouncyCastle.
/// </summary>
internal static class SignatureCheck
{
    public static bool Verify(string algorithmOid, byte[]? algorithmParameters, ReadOnlySpan<byte> signedBytes, byte[] signature, byte[] subjectPublicKeyInfo)
    {
        try
        {
            switch (algorithmOid)
            {
                case "1.2.840.10045.4.3.2" or "1.2.840.10045.4.3.3" or "1.2.840.10045.4.3.4":
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                    return ecdsa.VerifyData(signedBytes, signature, HashFor(algorithmOid), DSASignatureFormat.Rfc3279DerSequence);
                }

                case "1.2.840.113549.1.1.11" or "1.2.840.113549.1.1.12" or "1.2.840.113549.1.1.13":
                {
                    using var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                    return rsa.VerifyData(signedBytes, signature, HashFor(algorithmOid), RSASignaturePadding.Pkcs1);
                }
            }
        }
        catch (CryptographicException)
        {
            return false;
        }

        return VerifyWithBouncyCastle(algorithmOid, signedBytes, signature, subjectPublicKeyInfo);
    }

    private static bool VerifyWithBouncyCastle(string algorithmOid, ReadOnlySpan<byte> signedBytes, byte[] signature, byte[] subjectPublicKeyInfo)
    {
        try
        {
            var key = PublicKeyFactory.CreateKey(SubjectPublicKeyInfo.GetInstance(subjectPublicKeyInfo));
            var signer = SignerUtilities.InitSigner(algorithmOid, false, key, null);
            signer.BlockUpdate(signedBytes);
            return signer.VerifySignature(signature);
        }
        catch (Exception e) when (e is SecurityUtilityException or InvalidKeyException or ArgumentException or CryptoException or InvalidCastException or IOException)
        {
            return false;
        }
    }

    private static HashAlgorithmName HashFor(string oid) => oid switch
    {
        "1.2.840.10045.4.3.3" or "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
        "1.2.840.10045.4.3.4" or "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };
}
