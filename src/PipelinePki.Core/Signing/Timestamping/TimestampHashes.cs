using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Nist;

namespace PipelinePki.Core.Signing.Timestamping;

/// <summary>The message-imprint hashes our TSA accepts and our client sends: SHA-256, SHA-384, SHA-512.</summary>
internal static class TimestampHashes
{
    public const string Supported = "SHA-256, SHA-384 or SHA-512";

    public static IReadOnlyList<string> Oids { get; } =
        [NistObjectIdentifiers.IdSha256.Id, NistObjectIdentifiers.IdSha384.Id, NistObjectIdentifiers.IdSha512.Id];

    public static string OidOf(HashAlgorithmName hash) => TryOidOf(hash)
        ?? throw new ArgumentException($"Timestamps use {Supported}, not {hash.Name ?? "(none)"}.", nameof(hash));

    public static string? TryOidOf(HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA256)
        {
            return NistObjectIdentifiers.IdSha256.Id;
        }

        if (hash == HashAlgorithmName.SHA384)
        {
            return NistObjectIdentifiers.IdSha384.Id;
        }

        return hash == HashAlgorithmName.SHA512 ? NistObjectIdentifiers.IdSha512.Id : null;
    }

    /// <summary>Digest length in octets for a supported OID; 0 otherwise.</summary>
    public static int LengthOf(string oid) =>
        oid == NistObjectIdentifiers.IdSha256.Id ? 32
        : oid == NistObjectIdentifiers.IdSha384.Id ? 48
        : oid == NistObjectIdentifiers.IdSha512.Id ? 64
        : 0;

    public static void CheckImprint(byte[] messageImprint, HashAlgorithmName hash)
    {
        ArgumentNullException.ThrowIfNull(messageImprint);
        var expected = LengthOf(OidOf(hash));
        if (messageImprint.Length != expected)
        {
            throw new ArgumentException(
                $"A {hash.Name} message imprint is {expected} bytes, not {messageImprint.Length}.", nameof(messageImprint));
        }
    }
}
