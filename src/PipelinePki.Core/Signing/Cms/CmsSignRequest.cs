using System.Security.Cryptography;
using PipelinePki.Core.Keys;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Signing.Cms;

/// <summary>
/// One detached CMS signature to make. <paramref name="ContentDigest"/> is the artifact's digest
/// under <paramref name="DigestAlgorithm"/>, computed once by the caller (<see cref="ArtifactDigest"/>);
/// the algorithm must be <see cref="CmsDetachedSigner.DigestFor"/> of the key.
/// <paramref name="Chain"/> holds intermediates (the root may be included; it is not required).
/// <paramref name="Timestamp"/>, when given, receives the SignerInfo's signature value and returns a
/// DER TimeStampToken (ContentInfo) or TimeStampResp, embedded per RFC 3161 Appendix A.
/// </summary>
public sealed record CmsSignRequest(
    byte[] ContentDigest,
    HashAlgorithmName DigestAlgorithm,
    ISigningKey Key,
    X509Certificate Certificate,
    IReadOnlyList<X509Certificate> Chain,
    DateTimeOffset SigningTime,
    Func<byte[], CancellationToken, Task<byte[]>>? Timestamp = null);
