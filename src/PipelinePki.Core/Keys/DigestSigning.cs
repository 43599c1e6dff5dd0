using System.Security.Cryptography;

namespace PipelinePki.Core.Keys;

/// <summary>
/// A key that can sign a hash computed elsewhere, so a multi-gigabyte artifact is hashed once,
/// streaming, and only its digest reaches the key. ECDSA and RSA PKCS#1 v1.5 keys implement it;
/// Ed25519 cannot (pure EdDSA signs the message itself, not a digest).
/// </summary>
public interface IDigestSigningKey : ISigningKey
{
    /// <summary>The hash <see cref="ISigningKey.Sign"/> uses, and the one <see cref="SignDigest"/> expects.</summary>
    HashAlgorithmName SignatureHash { get; }

    /// <summary>
    /// Signs a digest under <see cref="SignatureHash"/> (ECDSA: DER Ecdsa-Sig-Value; RSA: PKCS#1 v1.5).
    /// The result equals what <see cref="ISigningKey.Sign"/> would produce for the message.
    /// </summary>
    byte[] SignDigest(ReadOnlySpan<byte> digest);
}

internal static class DigestSigning
{
    public static void CheckLength(ReadOnlySpan<byte> digest, HashAlgorithmName hash)
    {
        var expected = hash.Name switch
        {
            "SHA256" => 32,
            "SHA384" => 48,
            "SHA512" => 64,
            _ => throw new ArgumentOutOfRangeException(nameof(hash), hash, "unsupported signature hash"),
        };
        if (digest.Length != expected)
        {
            throw new ArgumentException($"a {hash.Name} digest is {expected} bytes, not {digest.Length}.", nameof(digest));
        }
    }
}
