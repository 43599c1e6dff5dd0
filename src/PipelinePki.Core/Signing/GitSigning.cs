using System.Security.Cryptography;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing.Cms;
using PipelinePki.Core.Signing.Timestamping;

namespace PipelinePki.Core.Signing;

/// <summary>A git commit or tag signature made as gpgsm would: a PEM "SIGNED MESSAGE" holding detached CMS.</summary>
public sealed record GitSignature(string Armored, string Fingerprint, string Subject, DateTimeOffset SignedAt, string PublicKeyAlgorithm);

/// <summary>
/// Signing and verifying for git's <c>gpg.format=x509</c>. Git hands the payload (the commit or
/// tag object) on stdin and expects gpgsm's armoured detached CMS; the identity git passes as the
/// signing key (<c>user.signingkey</c>) is the folder <c>cert issue</c> wrote (cert.pem,
/// fullchain.pem, key.pem), so a pipeline signs with the certificate it was just issued.
/// </summary>
public sealed class GitSigning(TimeProvider time)
{
    public const string ArmorLabel = "SIGNED MESSAGE";

    public async Task<GitSignature> SignAsync(byte[] payload, string identityDirectory, ITimestampSource? timestamp, CancellationToken cancellationToken)
    {
        var certificatePath = File.Exists(Path.Combine(identityDirectory, "fullchain.pem"))
            ? Path.Combine(identityDirectory, "fullchain.pem")
            : Path.Combine(identityDirectory, "cert.pem");
        if (!Directory.Exists(identityDirectory) || !File.Exists(certificatePath))
        {
            throw new BadInputException($"{identityDirectory}: user.signingkey must name the folder 'pipeline-pki cert issue --profile code-signing --out DIR' wrote (cert.pem and key.pem).");
        }

        var keyPath = Path.Combine(identityDirectory, "key.pem");
        using var key = PrivateKeyCodec.Read(PkiObjectReader.ReadFile(keyPath), keyPath, () => null);
        var certificates = PkiObjectReader.ReadCertificates(certificatePath);
        var leaf = certificates[0];
        if (!leaf.CertificateStructure.SubjectPublicKeyInfo.GetEncoded().AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
        {
            throw new BadInputException($"{keyPath}: the key does not belong to {certificatePath}.");
        }

        var digestAlgorithm = CmsDetachedSigner.DigestFor(key.Spec);
        using var hasher = IncrementalHash.CreateHash(digestAlgorithm);
        hasher.AppendData(payload);
        var now = time.GetUtcNow();
        Func<byte[], CancellationToken, Task<byte[]>>? stamp = timestamp is null
            ? null
            : (signature, token) => timestamp.TimestampAsync(SHA256.HashData(signature), HashAlgorithmName.SHA256, token);
        var cms = await new CmsDetachedSigner().SignAsync(
            new CmsSignRequest(hasher.GetHashAndReset(), digestAlgorithm, key, leaf, certificates.Skip(1).ToList(), now, stamp),
            cancellationToken);
        var info = CertificateDescriber.Describe(leaf);
        return new GitSignature(Pem.Encode(ArmorLabel, cms), info.Sha256Fingerprint, info.Subject, now, key.Spec.Name);
    }

    /// <summary>The DER CMS inside an armoured git signature (or the bytes themselves when already DER).</summary>
    public static byte[] Unarmor(byte[] signature, string source)
    {
        if (!Pem.LooksLikePem(signature))
        {
            return signature;
        }

        var block = Pem.ReadAll(signature).FirstOrDefault(b => b.Label is ArmorLabel or "CMS" or "PKCS7")
            ?? throw new BadInputException($"{source}: not an x509 (gpgsm) signature; expected '-----BEGIN {ArmorLabel}-----'.");
        return block.Der;
    }

    public static X509Certificate SignerOf(byte[] cmsDer, string source) => CmsDetachedVerifier.Parse(cmsDer, source).SignerCertificate;
}
