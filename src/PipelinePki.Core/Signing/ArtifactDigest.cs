using System.Security.Cryptography;

namespace PipelinePki.Core.Signing;

/// <summary>
/// The digests of an artifact, read once in 1 MiB chunks: a multi-gigabyte build output is hashed
/// with one buffer, never loaded whole into memory, and every algorithm a caller needs (CMS, a
/// Sigstore bundle, a manifest) is fed from the same read.
/// </summary>
public static class ArtifactDigest
{
    /// <summary>The size of each read.</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Hashes <paramref name="stream"/> from its current position to its end, reporting the running byte count after each chunk.</summary>
    public static async Task<byte[]> ComputeAsync(Stream stream, HashAlgorithmName hash, IProgress<long>? progress, CancellationToken ct) =>
        (await ComputeManyAsync(stream, [hash], progress, ct).ConfigureAwait(false))[hash];

    /// <summary>Hashes the file at <paramref name="path"/>; a file that cannot be opened or read is a <see cref="BadInputException"/> naming it.</summary>
    public static async Task<byte[]> ComputeFileAsync(string path, HashAlgorithmName hash, IProgress<long>? progress, CancellationToken ct) =>
        (await ComputeManyFileAsync(path, [hash], progress, ct).ConfigureAwait(false))[hash];

    /// <summary>Hashes <paramref name="stream"/> to its end once, feeding every algorithm; reports the running byte count per chunk.</summary>
    public static async Task<IReadOnlyDictionary<HashAlgorithmName, byte[]>> ComputeManyAsync(
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
            var buffer = new byte[ChunkSize];
            long total = 0;
            while (true)
            {
                // Fill the whole chunk (streams may return short reads) so progress arrives per MiB.
                var filled = await stream.ReadAtLeastAsync(buffer.AsMemory(), ChunkSize, throwOnEndOfStream: false, ct).ConfigureAwait(false);
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
                if (filled < ChunkSize)
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

    /// <summary>Hashes the file at <paramref name="path"/> once under every algorithm; unreadable files are a <see cref="BadInputException"/> naming them.</summary>
    public static async Task<IReadOnlyDictionary<HashAlgorithmName, byte[]>> ComputeManyFileAsync(
        string path, IReadOnlyCollection<HashAlgorithmName> hashes, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            // bufferSize 0: our 1 MiB reads go straight to the OS, no second copy through a FileStream buffer.
            await using var stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan | FileOptions.Asynchronous);
            return await ComputeManyAsync(stream, hashes, progress, ct).ConfigureAwait(false);
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
