using System.Text.Json;
using System.Text.Json.Serialization;

namespace PipelinePki.Core.Signing.Sigstore;

// Proto3 JSON shapes of the Sigstore bundle (v0.3) and trusted root (v0.1), only the fields we
// write or read. byte[] serializes as standard base64, which proto3 JSON accepts.

internal sealed class BundleDocument
{
    public string? MediaType { get; set; }

    public VerificationMaterialDocument? VerificationMaterial { get; set; }

    public MessageSignatureDocument? MessageSignature { get; set; }

    /// <summary>Present only in bundles we refuse (DSSE attestations).</summary>
    public JsonElement? DsseEnvelope { get; set; }
}

internal sealed class VerificationMaterialDocument
{
    public RawBytesDocument? Certificate { get; set; }

    /// <summary>Present only in bundles we refuse (v0.3 carries the leaf alone).</summary>
    public JsonElement? X509CertificateChain { get; set; }

    /// <summary>Present only in bundles we refuse (key-only signatures).</summary>
    public JsonElement? PublicKey { get; set; }

    public List<JsonElement>? TlogEntries { get; set; }

    public TimestampVerificationDataDocument? TimestampVerificationData { get; set; }
}

internal sealed class RawBytesDocument
{
    public byte[]? RawBytes { get; set; }
}

internal sealed class TimestampVerificationDataDocument
{
    public List<SignedTimestampDocument>? Rfc3161Timestamps { get; set; }
}

internal sealed class SignedTimestampDocument
{
    public byte[]? SignedTimestamp { get; set; }
}

internal sealed class MessageSignatureDocument
{
    public MessageDigestDocument? MessageDigest { get; set; }

    public byte[]? Signature { get; set; }
}

internal sealed class MessageDigestDocument
{
    public string? Algorithm { get; set; }

    public byte[]? Digest { get; set; }
}

internal sealed class TrustedRootDocument
{
    public string MediaType { get; set; } = SigstoreTrustedRoot.MediaType;

    public List<JsonElement> Tlogs { get; set; } = [];

    public List<CertificateAuthorityDocument> CertificateAuthorities { get; set; } = [];

    public List<JsonElement> Ctlogs { get; set; } = [];

    public List<CertificateAuthorityDocument> TimestampAuthorities { get; set; } = [];
}

internal sealed class CertificateAuthorityDocument
{
    public DistinguishedNameDocument? Subject { get; set; }

    public string? Uri { get; set; }

    public CertificateChainDocument? CertChain { get; set; }

    public TimeRangeDocument? ValidFor { get; set; }
}

internal sealed class DistinguishedNameDocument
{
    public string? Organization { get; set; }

    public string? CommonName { get; set; }
}

internal sealed class CertificateChainDocument
{
    public List<RawBytesDocument> Certificates { get; set; } = [];
}

internal sealed class TimeRangeDocument
{
    /// <summary>RFC 3339 UTC with a Z and no fraction, as proto3 JSON writes a google.protobuf.Timestamp.</summary>
    public string? Start { get; set; }

    public string? End { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(BundleDocument))]
[JsonSerializable(typeof(TrustedRootDocument))]
internal sealed partial class SigstoreJson : JsonSerializerContext;
