using System.Security.Cryptography;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Signing.Cms;

/// <summary>One attribute of a SignerInfo: its type and the DER of each value.</summary>
public sealed record CmsAttribute(string Oid, IReadOnlyList<byte[]> Values);

/// <summary>
/// A parsed detached CMS SignedData with exactly one signer. Nothing here is trusted yet:
/// <see cref="CmsDetachedVerifier.SignatureValid"/> checks the signature, the certificate path is
/// the caller's business (<c>CertificateVerifier</c> with <see cref="SignerCertificate"/> as the leaf
/// and <see cref="Certificates"/> as untrusted helpers).
/// </summary>
public sealed record CmsSignature(
    string Source,
    X509Certificate SignerCertificate,
    IReadOnlyList<X509Certificate> Certificates,
    HashAlgorithmName DigestAlgorithm,
    string DigestAlgorithmOid,
    string SignatureAlgorithmOid,
    byte[] SignatureValue,
    byte[]? SignedAttributesDer,
    IReadOnlyList<CmsAttribute> SignedAttributes,
    IReadOnlyList<CmsAttribute> UnsignedAttributes,
    string? ContentType,
    byte[]? MessageDigest,
    DateTimeOffset? SigningTime,
    byte[]? TimestampToken);
