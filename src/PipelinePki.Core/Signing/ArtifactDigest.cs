using System.Security.Cryptography;

namespace PipelinePki.Core.Signing;

/// <summary>
/// The digest of an artifact, read once in 1 MiB chunks: a multi-gigabyte build output is hashed
/// with one buffer, never loaded whole into memory.
/// </summary>
public static class ArtifactDigest
{
    /// <summary>The size of each read.</summary>
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Hashes <paramref name="stream"/> from its current position to its end, reporting the running byte count after each chunk.</summary>
    public static async Task<byte[]> ComputeAsync(Stream stream, HashAlgorithmName hash, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var incremental = IncrementalHash.CreateHash(hash);
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

            incremental.AppendData(buffer, 0, filled);
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

        return incremental.GetHashAndReset();
    }

    /// <summary>Hashes the file at <paramref name="path"/>; a file that cannot be opened or read is a <see cref="BadInputException"/> naming it.</summary>
    public static async Task<byte[]> ComputeFileAsync(string path, HashAlgorithmName hash, IProgress<long>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            // bufferSize 0: our 1 MiB reads go straight to the OS, no second copy through a FileStream buffer.
            await using var stream = new FileStream(
                path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan | FileOptions.Asynchronous);
            return await ComputeAsync(stream, hash, progress, ct).ConfigureAwait(false);
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
