using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Asn1.Pkcs;

namespace PipelinePki.Core.Keys;

/// <summary>
/// PBES2 (PBKDF2 + AES-CBC) decryption of an EncryptedPrivateKeyInfo in one native PBKDF2 call.
/// .NET's own PKCS#8 decryption runs PBKDF2 as a managed loop of one HMAC call per iteration,
/// which measured 2.5× slower than OpenSSL at 600,000 iterations and made every issuance from an
/// encrypted CA wait half a second (bench/issue.sh). Other schemes fall back to .NET.
/// </summary>
internal static class Pbes2
{
    /// <summary>The decrypted PKCS#8 bytes, or null when the file uses a scheme this fast path does not handle.</summary>
    public static byte[]? TryDecrypt(byte[] encryptedPrivateKeyInfo, ReadOnlySpan<char> passphrase)
    {
        EncryptedPrivateKeyInfo info;
        try
        {
            info = EncryptedPrivateKeyInfo.GetInstance(Asn1Object.FromByteArray(encryptedPrivateKeyInfo));
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidCastException)
        {
            throw new CryptographicException("not an EncryptedPrivateKeyInfo", e);
        }

        if (!info.EncryptionAlgorithm.Algorithm.Equals(PkcsObjectIdentifiers.IdPbeS2))
        {
            return null;
        }

        var parameters = PbeS2Parameters.GetInstance(info.EncryptionAlgorithm.Parameters);
        if (!parameters.KeyDerivationFunc.Algorithm.Equals(PkcsObjectIdentifiers.IdPbkdf2))
        {
            return null;
        }

        var kdf = Pbkdf2Params.GetInstance(parameters.KeyDerivationFunc.Parameters);
        var hash = kdf.Prf.Algorithm.Id switch
        {
            "1.2.840.113549.2.9" => HashAlgorithmName.SHA256,
            "1.2.840.113549.2.10" => HashAlgorithmName.SHA384,
            "1.2.840.113549.2.11" => HashAlgorithmName.SHA512,
            "1.2.840.113549.2.7" => HashAlgorithmName.SHA1,
            _ => (HashAlgorithmName?)null,
        };
        var scheme = parameters.EncryptionScheme.Algorithm;
        var keyLength = scheme.Equals(NistObjectIdentifiers.IdAes256Cbc) ? 32
            : scheme.Equals(NistObjectIdentifiers.IdAes192Cbc) ? 24
            : scheme.Equals(NistObjectIdentifiers.IdAes128Cbc) ? 16
            : 0;
        if (hash is not { } prf || keyLength == 0 || kdf.IterationCount.BitLength > 30)
        {
            return null;
        }

        var iv = Asn1OctetString.GetInstance(parameters.EncryptionScheme.Parameters).GetOctets();
        var password = System.Text.Encoding.UTF8.GetBytes(passphrase.ToArray());
        var key = new byte[keyLength];
        try
        {
            Rfc2898DeriveBytes.Pbkdf2(password, kdf.GetSalt(), key, kdf.IterationCount.IntValue, prf);
            using var aes = Aes.Create();
            aes.Key = key;
            return aes.DecryptCbc(info.GetEncryptedData(), iv, PaddingMode.PKCS7);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
