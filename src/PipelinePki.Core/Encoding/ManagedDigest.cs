using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;

namespace PipelinePki.Core.Encoding;

/// <summary>
/// SHA-256 and SHA-1 of small inputs — certificate fingerprints, key identifiers — in managed code.
/// The platform's hashes go through OpenSSL, and the first use of OpenSSL in a process loads and
/// initialises it (about 6 ms here). A verification whose signatures need no OpenSSL (Ed25519) then
/// never loads it, and one that does (ECDSA, RSA) is not held up by a fingerprint while the library loads.
/// Large inputs (artifacts) keep using the platform's streaming hashes.
/// </summary>
internal static class ManagedDigest
{
    public static byte[] Sha256(ReadOnlySpan<byte> data) => Hash(new Sha256Digest(), data);

    public static byte[] Sha1(ReadOnlySpan<byte> data) => Hash(new Sha1Digest(), data);

    private static byte[] Hash(IDigest digest, ReadOnlySpan<byte> data)
    {
        digest.BlockUpdate(data);
        var hash = new byte[digest.GetDigestSize()];
        digest.DoFinal(hash, 0);
        return hash;
    }
}
