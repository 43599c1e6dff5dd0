using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing.Timestamping;

namespace PipelinePki.Core.Signing.Sigstore;

/// <param name="Key">The signing key; it must be an ECDSA or RSA PKCS#1 v1.5 key (<see cref="SigstoreSigner.RequireSupportedKey"/>).</param>
/// <param name="ArtifactDigests">Digests of the artifact, at least under <see cref="SigstoreSigner.DigestsFor"/> (compute them in one read with <see cref="ArtifactDigest.ComputeManyFileAsync"/>).</param>
/// <param name="Certificate">DER of the leaf certificate for <paramref name="Key"/>.</param>
/// <param name="Timestamps">The RFC 3161 TSA; Sigstore needs a timestamp to validate a private CA's chain at all.</param>
public sealed record SigstoreSignRequest(
    ISigningKey Key,
    IReadOnlyDictionary<HashAlgorithmName, byte[]> ArtifactDigests,
    byte[] Certificate,
    ITimestampSource Timestamps);

/// <summary>
/// Makes Sigstore bundles (v0.3, message signature, RFC 3161 timestamp, no transparency log) that
/// Sigstore's own verifiers accept against a trusted root from <see cref="SigstoreTrustedRoot"/>.
/// The artifact is never read here: the caller hashes it once and passes the digests.
/// </summary>
public static class SigstoreSigner
{
    private const string OidRsaPss = "1.2.840.113549.1.1.10";

    /// <summary>
    /// The key, if Sigstore verifiers can check its signatures over a precomputed digest (ECDSA with DER
    /// signatures, RSA PKCS#1 v1.5); otherwise a <see cref="UsageException"/> pointing to CMS.
    /// </summary>
    public static IDigestSigningKey RequireSupportedKey(ISigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key is not IDigestSigningKey digestKey || key.Spec.Family == KeyAlgorithmFamily.Ed25519 || IsRsaPss(key))
        {
            throw new UsageException(
                $"Sigstore bundles cannot carry {key.Spec.Name} signatures (Sigstore verifies ECDSA and RSA PKCS#1 v1.5 only); use --signature-format cms, or an ECDSA or RSA key.");
        }

        return digestKey;
    }

    /// <summary>
    /// The digests of the artifact <see cref="SignAsync"/> needs: SHA-256 and the key's own signature hash
    /// (SHA-384 for P-384 and RSA-4096). The bundle's messageDigest uses the key's hash, because the
    /// verifier re-hashes the artifact with messageDigest.algorithm to check the signature.
    /// </summary>
    public static HashAlgorithmName[] DigestsFor(ISigningKey key)
    {
        var hash = RequireSupportedKey(key).SignatureHash;
        return hash == HashAlgorithmName.SHA256 ? [HashAlgorithmName.SHA256] : [HashAlgorithmName.SHA256, hash];
    }

    /// <summary>Signs the digest, timestamps the signature bytes (imprint: SHA-256 of the signature), and returns the bundle JSON.</summary>
    public static async Task<byte[]> SignAsync(SigstoreSignRequest request, CancellationToken ct)
    {
        var bundle = await CreateAsync(request, ct).ConfigureAwait(false);
        return bundle.ToJson();
    }

    /// <summary>As <see cref="SignAsync"/>, returning the bundle before serialization.</summary>
    public static async Task<SigstoreBundle> CreateAsync(SigstoreSignRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.ArtifactDigests);
        ArgumentNullException.ThrowIfNull(request.Certificate);
        ArgumentNullException.ThrowIfNull(request.Timestamps);
        var key = RequireSupportedKey(request.Key);
        var hash = key.SignatureHash;
        if (!request.ArtifactDigests.TryGetValue(hash, out var digest))
        {
            throw new ArgumentException($"the artifact's {hash.Name} digest is required for a {key.Spec.Name} key.", nameof(request));
        }

        RequireMatchingCertificate(key, request.Certificate);
        var signature = key.SignDigest(digest);
        var imprint = SHA256.HashData(signature);
        var response = await request.Timestamps.TimestampAsync(imprint, HashAlgorithmName.SHA256, ct).ConfigureAwait(false);
        return new SigstoreBundle(request.Certificate, hash, digest, signature, [response]);
    }

    private static void RequireMatchingCertificate(ISigningKey key, byte[] certificateDer)
    {
        byte[] certificateKey;
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
            certificateKey = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        }
        catch (CryptographicException e)
        {
            throw new BadInputException("the signing certificate is not a valid X.509 certificate.", e);
        }

        if (!certificateKey.AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
        {
            throw new UsageException("the signing key does not match the certificate's public key.");
        }
    }

    private static bool IsRsaPss(ISigningKey key)
    {
        try
        {
            var reader = new AsnReader(key.SignatureAlgorithmIdentifier, AsnEncodingRules.DER).ReadSequence();
            return reader.ReadObjectIdentifier() == OidRsaPss;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
