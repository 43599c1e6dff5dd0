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
/// <remarks>
/// On Linux, ECDSA and RSA go to libcrypto directly (<see cref="OpenSslDigestVerify"/>); the platform classes
/// are the fallback elsewhere.
/// One instance serves one validation run and imports each distinct public key once. Importing a
/// P-384 key into OpenSSL costs more than a verification with it (about 1.5 ms against 1 ms here:
/// the import multiplies the point by the group order to check it), and a run meets the same
/// intermediate and root keys again for the certificate below them and for their CRLs.
/// </remarks>
internal sealed class SignatureVerifier : IDisposable
{
    private readonly Dictionary<string, AsymmetricAlgorithm?> platformKeys = new(StringComparer.Ordinal);
    private readonly Lazy<OpenSslDigestVerify?> openSsl = new(OpenSslDigestVerify.TryCreate);

    public bool Verify(string algorithmOid, ReadOnlySpan<byte> signedBytes, byte[] signature, byte[] subjectPublicKeyInfo)
    {
        try
        {
            switch (algorithmOid)
            {
                case "1.2.840.10045.4.3.2" or "1.2.840.10045.4.3.3" or "1.2.840.10045.4.3.4" when openSsl.Value is { } native:
                    return native.Verify(OpenSslDigestVerify.KeyKind.Ec, HashFor(algorithmOid).Name!, signedBytes, signature, subjectPublicKeyInfo);

                case "1.2.840.113549.1.1.11" or "1.2.840.113549.1.1.12" or "1.2.840.113549.1.1.13" when openSsl.Value is { } native:
                    return native.Verify(OpenSslDigestVerify.KeyKind.Rsa, HashFor(algorithmOid).Name!, signedBytes, signature, subjectPublicKeyInfo);

                case "1.2.840.10045.4.3.2" or "1.2.840.10045.4.3.3" or "1.2.840.10045.4.3.4":
                    return PlatformKey<ECDsa>("ec:", subjectPublicKeyInfo, ECDsa.Create) is { } ecdsa
                        && ecdsa.VerifyData(signedBytes, signature, HashFor(algorithmOid), DSASignatureFormat.Rfc3279DerSequence);

                case "1.2.840.113549.1.1.11" or "1.2.840.113549.1.1.12" or "1.2.840.113549.1.1.13":
                    return PlatformKey<RSA>("rsa:", subjectPublicKeyInfo, RSA.Create) is { } rsa
                        && rsa.VerifyData(signedBytes, signature, HashFor(algorithmOid), RSASignaturePadding.Pkcs1);
            }
        }
        catch (CryptographicException)
        {
            return false;
        }

        return VerifyWithBouncyCastle(algorithmOid, signedBytes, signature, subjectPublicKeyInfo);
    }

    public void Dispose()
    {
        foreach (var key in platformKeys.Values)
        {
            key?.Dispose();
        }

        platformKeys.Clear();
        if (openSsl.IsValueCreated)
        {
            openSsl.Value?.Dispose();
        }
    }

    /// <summary>The imported key, or null when the bytes are not a key of that kind (remembered too).</summary>
    private T? PlatformKey<T>(string kind, byte[] subjectPublicKeyInfo, Func<T> create)
        where T : AsymmetricAlgorithm
    {
        var cacheKey = kind + Convert.ToHexString(subjectPublicKeyInfo);
        if (!platformKeys.TryGetValue(cacheKey, out var key))
        {
            var created = create();
            try
            {
                created.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                key = created;
            }
            catch (CryptographicException)
            {
                created.Dispose();
                key = null;
            }

            platformKeys[cacheKey] = key;
        }

        return key as T;
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

/// <summary>A single signature check outside a validation run (CMS signed attributes).</summary>
internal static class SignatureCheck
{
    public static bool Verify(string algorithmOid, ReadOnlySpan<byte> signedBytes, byte[] signature, byte[] subjectPublicKeyInfo)
    {
        using var verifier = new SignatureVerifier();
        return verifier.Verify(algorithmOid, signedBytes, signature, subjectPublicKeyInfo);
    }
}
