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
    string? OutputDirectory);

public sealed record SignedArtifact(string File, string Signature, string DigestAlgorithm, string Digest, DateTimeOffset? TimestampTime);

/// <summary>
/// <c>sign</c> for files: one streaming pass per artifact, a detached CMS signature
/// (<c>FILE.p7s</c>) carrying the certificate path, and an RFC 3161 timestamp over the signature
/// so it outlives the short-lived signing certificate.
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

        var signer = new CmsDetachedSigner();
        var digestAlgorithm = CmsDetachedSigner.DigestFor(request.Key.Spec);
        var results = new List<SignedArtifact>();
        foreach (var file in request.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fileProgress = progress is null ? null : new Progress<long>(bytes => progress.Report((file, bytes)));
            var digest = await ArtifactDigest.ComputeFileAsync(file, digestAlgorithm, fileProgress, cancellationToken);
            DateTimeOffset? stampedAt = null;
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
            var output = Path.Combine(request.OutputDirectory ?? Path.GetDirectoryName(Path.GetFullPath(file))!, Path.GetFileName(file) + ".p7s");
            AtomicFile.Write(output, cms, secret: false);
            results.Add(new SignedArtifact(Path.GetFullPath(file), Path.GetFullPath(output), digestAlgorithm.Name!, Convert.ToHexString(digest).ToLowerInvariant(), stampedAt));
        }

        return results;
    }
}
