using System.Security.Cryptography;
using PipelinePki.Core.Signing;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests.Signing;

public class ArtifactDigestTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(MiB - 1)]
    [InlineData(MiB)]
    [InlineData((3 * MiB) + 7)]
    public async Task ComputeFileAsync_AnySize_EqualsOneShotSha256AndReportsTotal(int size)
    {
        using var temp = new TempDirectory();
        var content = new byte[size];
        new Random(size).NextBytes(content);
        var path = temp.Combine("artifact.bin");
        await File.WriteAllBytesAsync(path, content);
        var progress = new RecordingProgress();

        var digest = await ArtifactDigest.ComputeFileAsync(path, HashAlgorithmName.SHA256, progress, CancellationToken.None);

        Assert.Equal(SHA256.HashData(content), digest);
        Assert.Equal(size, progress.Reports[^1]);
        Assert.Equal(progress.Reports.Order().ToList(), progress.Reports);
    }

    [Fact]
    public async Task ComputeAsync_Sha384OverShortReadStream_EqualsOneShot()
    {
        var content = new byte[(2 * MiB) + 3];
        new Random(5).NextBytes(content);
        await using var stream = new TrickleStream(content, maxRead: 4099);

        var digest = await ArtifactDigest.ComputeAsync(stream, HashAlgorithmName.SHA384, null, CancellationToken.None);

        Assert.Equal(SHA384.HashData(content), digest);
    }

    [Fact]
    public async Task ComputeFileAsync_MissingFile_BadInputNamingTheFile()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("nope", "artifact.bin");

        var error = await Assert.ThrowsAsync<BadInputException>(
            () => ArtifactDigest.ComputeFileAsync(path, HashAlgorithmName.SHA256, null, CancellationToken.None));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComputeFileAsync_DirectoryInsteadOfFile_BadInput()
    {
        using var temp = new TempDirectory();

        var error = await Assert.ThrowsAnyAsync<PipelinePkiException>(
            () => ArtifactDigest.ComputeFileAsync(temp.Path, HashAlgorithmName.SHA256, null, CancellationToken.None));

        Assert.IsType<BadInputException>(error);
        Assert.Contains(temp.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComputeAsync_64MiBStream_AllocatesUnder8MiBAndReportsTotal()
    {
        const long size = 64L * MiB;
        await using var stream = new ZeroStream(size);
        var progress = new RecordingProgress();
        using var reference = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var zeros = new byte[MiB];
        for (var i = 0; i < 64; i++)
        {
            reference.AppendData(zeros);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var task = ArtifactDigest.ComputeAsync(stream, HashAlgorithmName.SHA256, progress, CancellationToken.None);
        Assert.True(task.IsCompleted, "the zero stream completes synchronously, so the allocation count stays on this thread");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var digest = await task;

        Assert.Equal(reference.GetHashAndReset(), digest);
        Assert.Equal(size, progress.Reports[^1]);
        Assert.True(allocated < 8L * MiB, $"allocated {allocated} bytes while hashing 64 MiB");
    }

    [Fact]
    public async Task ComputeAsync_Cancelled_Throws()
    {
        await using var stream = new ZeroStream(8L * MiB);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => ArtifactDigest.ComputeAsync(stream, HashAlgorithmName.SHA256, null, cts.Token));
    }

    private sealed class RecordingProgress : IProgress<long>
    {
        public List<long> Reports { get; } = [];

        public void Report(long value) => Reports.Add(value);
    }

    /// <summary>A stream of zeros that completes every read synchronously and allocates nothing.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - position);
            buffer[..n].Clear();
            position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(Read(buffer.Span));
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Returns at most <c>maxRead</c> bytes per read, as pipes and network streams do.</summary>
    private sealed class TrickleStream(byte[] content, int maxRead) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, maxRead)], cancellationToken);
    }
}
