using System.Diagnostics;

namespace PipelinePki.Cli;

/// <summary>
/// Progress for long work, on stderr only: a live bar when stderr is a terminal, and in CI logs
/// (redirected stderr) one line per quarter for large files, so logs stay readable. Small files
/// report nothing: a progress line per 10 KB artifact would drown the log.
/// </summary>
internal sealed class ProgressReporter(TextWriter error, bool interactive) : IProgress<(string File, long Bytes)>
{
    private const long LargeFile = 64L * 1024 * 1024;
    private readonly Dictionary<string, long> sizes = [];
    private readonly Dictionary<string, int> quartersShown = [];
    private readonly Stopwatch sinceDraw = Stopwatch.StartNew();
    private readonly Lock gate = new();

    public void Report((string File, long Bytes) value)
    {
        lock (gate)
        {
            if (!sizes.TryGetValue(value.File, out var size))
            {
                size = File.Exists(value.File) ? new FileInfo(value.File).Length : 0;
                sizes[value.File] = size;
            }

            if (size < LargeFile && !interactive)
            {
                return;
            }

            var percent = size == 0 ? 100 : (int)(value.Bytes * 100 / size);
            if (interactive)
            {
                if (sinceDraw.ElapsedMilliseconds < 100 && percent < 100)
                {
                    return;
                }

                sinceDraw.Restart();
                var filled = percent / 5;
                error.Write($"\r[{new string('#', filled)}{new string('.', 20 - filled)}] {percent,3}% {Path.GetFileName(value.File)} ");
                if (percent >= 100)
                {
                    error.WriteLine();
                }

                return;
            }

            var quarter = percent / 25;
            if (!quartersShown.TryGetValue(value.File, out var shown) || quarter > shown)
            {
                quartersShown[value.File] = quarter;
                error.WriteLine($"pipeline-pki: {value.File}: {quarter * 25}% of {size / (1024 * 1024)} MiB read");
            }
        }
    }
}
