using System.Security.Cryptography;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.IO;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing.Cms;
using PipelinePki.Core.Signing.Timestamping;

namespace PipelinePki.Core.Signing;

public sealed record SignArtifactsRequest(
    IReadOnlyList<string> Files,
    ISigningKey Key,
    X509Certificate Certificate,
    IReadOnlyList<X509Certificate> Chain,
    ITimestampSource? Timestamp,
    string? OutputDirectory,
    bool Cms = true,
    bool Bundle = false);

/// <summary>What <c>sign</c> wrote for one artifact: the CMS signature and/or the Sigstore bundle.</summary>
public sealed record SignedArtifact(string File, string? Signature, string? Bundle, string DigestAlgorithm, string Digest, DateTimeOffset? TimestampTime);

/// <summary>
/// <c>sign</c> for files: one streaming pass per artifact computes every digest needed, then a
/// detached CMS signature (<c>FILE.p7s</c>, carrying the certificate path) and/or a Sigstore
/// bundle (<c>FILE.sigstore.json</c>), each with an RFC 3161 timestamp over the signature so it
/// outlives the short-lived signing certificate.
/// </summary>
public sealed class ArtifactSigner(TimeProvider time)
{
    public async Task<IReadOnlyList<SignedArtifact>> SignAsync(SignArtifactsRequest request, IProgress<(string File, long Bytes)>? progress, CancellationToken cancellationToken)
    {
        if (!request.Certificate.CertificateStructure.SubjectPublicKeyInfo.GetEncoded().AsSpan().SequenceEqual(request.Key.SubjectPublicKeyInfo))
        {
            throw new BadInputException("--key does not belong to the --cert certificate; pass the key that was issued with it.");
        }

        var ekus = request.Certificate.GetExtendedKeyUsage()?.Select(o => o.Id).ToList();
        if (ekus is null || !ekus.Contains("1.3.6.1.5.5.7.3.3"))
        {
            // Verifiers (ours included) demand codeSigning: refuse now rather than produce signatures nobody accepts.
            throw new NotValidException($"--cert {CertificateDescriber.FormatName(request.Certificate.SubjectDN)} is not a code-signing certificate (no codeSigning extended key usage); issue one with --profile code-signing.");
        }

        if (request.OutputDirectory is not null)
        {
            AtomicFile.CreatePrivateDirectory(request.OutputDirectory);
        }

        if (request.Bundle)
        {
            _ = Sigstore.SigstoreSigner.RequireSupportedKey(request.Key);
            if (request.Timestamp is null)
            {
                throw new UsageException("a Sigstore bundle needs a timestamp (Sigstore validates a private CA's chain only at a timestamp): use --timestamp local or a TSA URL, or --signature-format cms.");
            }
        }

        var signer = new CmsDetachedSigner();
        var digestAlgorithm = CmsDetachedSigner.DigestFor(request.Key.Spec);
        var hashes = new HashSet<HashAlgorithmName> { digestAlgorithm };
        if (request.Bundle)
        {
            hashes.UnionWith(Sigstore.SigstoreSigner.DigestsFor(request.Key));
        }

        var certificateDer = request.Certificate.GetEncoded();
        var results = new List<SignedArtifact>();
        foreach (var file in request.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fileProgress = progress is null ? null : new Progress<long>(bytes => progress.Report((file, bytes)));
            var digests = await ArtifactDigest.ComputeManyFileAsync(file, hashes, fileProgress, cancellationToken);
            var digest = digests[digestAlgorithm];
            var directory = request.OutputDirectory ?? Path.GetDirectoryName(Path.GetFullPath(file))!;
            DateTimeOffset? stampedAt = null;
            string? cmsPath = null;
            string? bundlePath = null;
            if (request.Cms)
            {
                Func<byte[], CancellationToken, Task<byte[]>>? stamp = null;
                if (request.Timestamp is { } source)
                {
                    stamp = async (signatureValue, token) =>
                    {
                        var imprint = SHA256.HashData(signatureValue);
                        var response = await source.TimestampAsync(imprint, HashAlgorithmName.SHA256, token);
                        stampedAt = TimestampVerifier.Verify(response, imprint, HashAlgorithmName.SHA256).GenTime;
                        return response;
                    };
                }

                var cms = await signer.SignAsync(
                    new CmsSignRequest(digest, digestAlgorithm, request.Key, request.Certificate, request.Chain, time.GetUtcNow(), stamp),
                    cancellationToken);
                cmsPath = Path.GetFullPath(Path.Combine(directory, Path.GetFileName(file) + ".p7s"));
                AtomicFile.Write(cmsPath, cms, secret: false);
            }

            if (request.Bundle)
            {
                var bundle = await Sigstore.SigstoreSigner.SignAsync(
                    new Sigstore.SigstoreSignRequest(request.Key, digests, certificateDer, request.Timestamp!), cancellationToken);
                bundlePath = Path.GetFullPath(Path.Combine(directory, Path.GetFileName(file) + ".sigstore.json"));
                AtomicFile.Write(bundlePath, bundle, secret: false);
            }

            results.Add(new SignedArtifact(Path.GetFullPath(file), cmsPath, bundlePath, digestAlgorithm.Name!, Convert.ToHexString(digest).ToLowerInvariant(), stampedAt));
        }

        return results;
    }
}
