using System.Security.Cryptography;
using System.Text.Json;

namespace PipelinePki.Core.Signing.Sigstore;

/// <summary>
/// A Sigstore bundle v0.3 with a message signature, as written for a private CA (design/SIGSTORE-BUNDLE.md):
/// the leaf certificate only (intermediates and root belong in the verifier's trusted root), no
/// transparency-log entries, and RFC 3161 timestamps over the signature bytes, each the whole DER
/// TimeStampResp. <see cref="ToJson"/> writes it; <see cref="Parse"/> reads one back.
/// </summary>
/// <param name="Certificate">DER of the signing (leaf) certificate.</param>
/// <param name="DigestAlgorithm">The hash of <paramref name="ArtifactDigest"/>, which is also the hash the signature was made with.</param>
/// <param name="ArtifactDigest">The raw digest of the artifact.</param>
/// <param name="Signature">The signature over the artifact (ECDSA: DER Ecdsa-Sig-Value; RSA: PKCS#1 v1.5).</param>
/// <param name="TimeStampResponses">DER RFC 3161 TimeStampResp values whose imprint is a hash of <paramref name="Signature"/>.</param>
public sealed record SigstoreBundle(
    byte[] Certificate,
    HashAlgorithmName DigestAlgorithm,
    byte[] ArtifactDigest,
    byte[] Signature,
    IReadOnlyList<byte[]> TimeStampResponses)
{
    public const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>The older spelling of the v0.3 media type; still accepted by readers.</summary>
    public const string LegacyMediaType = "application/vnd.dev.sigstore.bundle+json;version=0.3";

    /// <summary>The proto3 JSON (UTF-8, indented, standard base64 bytes).</summary>
    public byte[] ToJson()
    {
        ArgumentNullException.ThrowIfNull(Certificate);
        ArgumentNullException.ThrowIfNull(ArtifactDigest);
        ArgumentNullException.ThrowIfNull(Signature);
        ArgumentNullException.ThrowIfNull(TimeStampResponses);
        var document = new BundleDocument
        {
            MediaType = MediaType,
            VerificationMaterial = new VerificationMaterialDocument
            {
                Certificate = new RawBytesDocument { RawBytes = Certificate },
                TlogEntries = [],
                TimestampVerificationData = new TimestampVerificationDataDocument
                {
                    Rfc3161Timestamps = TimeStampResponses.Select(t => new SignedTimestampDocument { SignedTimestamp = t }).ToList(),
                },
            },
            MessageSignature = new MessageSignatureDocument
            {
                MessageDigest = new MessageDigestDocument { Algorithm = ProtoName(DigestAlgorithm), Digest = ArtifactDigest },
                Signature = Signature,
            },
        };
        return JsonSerializer.SerializeToUtf8Bytes(document, SigstoreJson.Default.BundleDocument);
    }

    /// <summary>Reads a v0.3 message-signature bundle; anything else is a <see cref="BadInputException"/> naming <paramref name="source"/>.</summary>
    public static SigstoreBundle Parse(ReadOnlySpan<byte> json, string source)
    {
        BundleDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, SigstoreJson.Default.BundleDocument);
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{source}: not a Sigstore bundle (invalid JSON: {e.Message}).", e);
        }

        if (document is null)
        {
            throw new BadInputException($"{source}: not a Sigstore bundle (empty JSON).");
        }

        if (document.MediaType is not (MediaType or LegacyMediaType))
        {
            throw new BadInputException(
                $"{source}: unsupported Sigstore bundle media type '{document.MediaType}'; expected {MediaType}.");
        }

        if (document.DsseEnvelope is not null || document.MessageSignature is null)
        {
            throw new BadInputException($"{source}: the bundle holds no message signature (DSSE attestations are not supported).");
        }

        var material = document.VerificationMaterial
            ?? throw new BadInputException($"{source}: the bundle has no verificationMaterial.");
        if (material.X509CertificateChain is not null || material.PublicKey is not null)
        {
            throw new BadInputException($"{source}: a v0.3 bundle must carry a single certificate, not a chain or a bare public key.");
        }

        var certificate = material.Certificate?.RawBytes;
        if (certificate is not { Length: > 0 })
        {
            throw new BadInputException($"{source}: the bundle has no certificate.");
        }

        var message = document.MessageSignature;
        if (message.Signature is not { Length: > 0 } signature)
        {
            throw new BadInputException($"{source}: the bundle has no signature.");
        }

        var digest = message.MessageDigest?.Digest;
        var algorithm = FromProtoName(message.MessageDigest?.Algorithm)
            ?? throw new BadInputException($"{source}: unsupported messageDigest algorithm '{message.MessageDigest?.Algorithm}'.");
        if (digest is null || digest.Length != HashLength(algorithm))
        {
            throw new BadInputException($"{source}: the messageDigest is not a {algorithm.Name} digest.");
        }

        var timestamps = new List<byte[]>();
        foreach (var entry in material.TimestampVerificationData?.Rfc3161Timestamps ?? [])
        {
            if (entry.SignedTimestamp is not { Length: > 0 } timestamp)
            {
                throw new BadInputException($"{source}: an rfc3161Timestamps entry has no signedTimestamp.");
            }

            timestamps.Add(timestamp);
        }

        return new SigstoreBundle(certificate, algorithm, digest, signature, timestamps);
    }

    internal static string ProtoName(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA256" => "SHA2_256",
        "SHA384" => "SHA2_384",
        "SHA512" => "SHA2_512",
        _ => throw new ArgumentOutOfRangeException(nameof(hash), hash, "Sigstore bundles carry SHA-2 digests only"),
    };

    private static HashAlgorithmName? FromProtoName(string? name) => name switch
    {
        "SHA2_256" => HashAlgorithmName.SHA256,
        "SHA2_384" => HashAlgorithmName.SHA384,
        "SHA2_512" => HashAlgorithmName.SHA512,
        _ => null,
    };

    private static int HashLength(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA384" => 48,
        "SHA512" => 64,
        _ => 32,
    };
}
