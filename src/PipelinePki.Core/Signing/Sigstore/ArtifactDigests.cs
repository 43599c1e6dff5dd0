using System.Security.Cryptography;

namespace PipelinePki.Core.Signing.Sigstore;

/// <summary>
/// Several digests of one artifact from a single streaming read (1 MiB chunks): a Sigstore bundle
/// for a P-384 key needs SHA-384 for the signature, and callers may want SHA-256 as well, without
/// reading a multi-gigabyte file twice.
/// </summary>
public static class ArtifactDigests
{
    /// <summary>Hashes <paramref name="stream"/> to its end once, feeding every algorithm; reports the running byte count per chunk.</summary>
    public static async Task<IReadOnlyDictionary<HashAlgorithmName, byte[]>> ComputeAsync(
        Stream stream, IReadOnlyCollection<HashAlgorithmName> hashes, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(hashes);
        var distinct = hashes.Distinct().ToList();
        if (distinct.Count == 0)
        {
            throw new ArgumentException("at least one hash algorithm is required.", nameof(hashes));
        }

        var incremental = distinct.Select(IncrementalHash.CreateHash).ToList();
        try
        {
            var buffer = new byte[ArtifactDigest.ChunkSize];
            long total = 0;
            while (true)
            {
                var filled = await stream.ReadAtLeastAsync(buffer.AsMemory(), buffer.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                if (filled == 0)
                {
                    break;
                }

                foreach (var hash in incremental)
                {
                    hash.AppendData(buffer, 0, filled);
                }

                total += filled;
                progress?.Report(total);
                if (filled < buffer.Length)
                {
                    break;
                }
            }

            if (total == 0)
            {
                progress?.Report(0);
            }

            var result = new Dictionary<HashAlgorithmName, byte[]>();
            for (var i = 0; i < distinct.Count; i++)
            {
                result[distinct[i]] = incremental[i].GetHashAndReset();
            }

            return result;
        }
        finally
        {
            foreach (var hash in incremental)
            {
                hash.Dispose();
            }
        }
    }

    /// <summary>Hashes the file at <paramref name="path"/>; a file that cannot be read is a <see cref="BadInputException"/> naming it.</summary>
    public static async Task<IReadOnlyDictionary<HashAlgorithmName, byte[]>> ComputeFileAsync(
        string path, IReadOnlyCollection<HashAlgorithmName> hashes, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            await using var stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan | FileOptions.Asynchronous);
            return await ComputeAsync(stream, hashes, progress, ct).ConfigureAwait(false);
        }
        catch (FileNotFoundException e)
        {
            throw new BadInputException($"{path}: the artifact does not exist.", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new BadInputException($"{path}: the artifact's folder does not exist.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BadInputException($"{path}: cannot read the artifact: permission denied.", e);
        }
        catch (IOException e)
        {
            throw new BadInputException($"{path}: cannot read the artifact: {e.Message}", e);
        }
    }
}
