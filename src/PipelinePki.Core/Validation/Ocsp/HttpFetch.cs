using System.Buffers;
using System.Globalization;
using System.Net;

namespace PipelinePki.Core.Validation.Ocsp;

/// <summary>
/// What <see cref="HttpOcspTransport"/> and <see cref="HttpCrlFetcher"/> share: a per-request
/// deadline, status checking, and a body read that stops at a size limit. Messages do not repeat
/// the URL: the caller reporting the failure names the endpoint once.
/// </summary>
internal static class HttpFetch
{
    public static TimeSpan CheckTimeout(TimeSpan? timeout, TimeSpan fallback)
    {
        var value = timeout ?? fallback;
        return value > TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(timeout), value, "The timeout must be positive.");
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads the whole body under one deadline. The deadline
    /// becomes a <see cref="TimeoutException"/> ("timed out after 10 s"); only the caller's own
    /// token surfaces as <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<byte[]> SendAsync(
        HttpClient client,
        HttpRequestMessage request,
        TimeSpan timeout,
        long maxBytes,
        string what,
        CancellationToken cancellationToken)
    {
        // HttpClient.Timeout may be shorter than ours; whichever fires first is the one to report.
        var effective = client.Timeout > TimeSpan.Zero && client.Timeout < timeout ? client.Timeout : timeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException(
                    $"HTTP {(int)response.StatusCode} {response.ReasonPhrase ?? response.StatusCode.ToString()}".TrimEnd(),
                    null,
                    response.StatusCode);
            }

            return await ReadLimitedAsync(response.Content, maxBytes, what, deadline.Token);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"timed out after {Seconds(effective)}", e);
        }
    }

    /// <summary>
    /// Reads at most <paramref name="maxBytes"/>, counting what actually arrives: Content-Length is
    /// only used to refuse early, never trusted to bound the read (chunked bodies carry none).
    /// </summary>
    public static async Task<byte[]> ReadLimitedAsync(HttpContent content, long maxBytes, string what, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } declared && declared > maxBytes)
        {
            throw TooLarge(what, maxBytes, declared);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    throw TooLarge(what, maxBytes, null);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    public static string Seconds(TimeSpan span) =>
        span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    public static string Size(long bytes) => bytes % (1024 * 1024) == 0
        ? $"{bytes / (1024 * 1024)} MiB"
        : bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} bytes";

    private static HttpRequestException TooLarge(string what, long maxBytes, long? declared) => new(
        HttpRequestError.ConfigurationLimitExceeded,
        declared is { } size
            ? $"{what} is {size} bytes, over the {Size(maxBytes)} limit; refusing to download it"
            : $"{what} exceeds the {Size(maxBytes)} limit; download stopped",
        null,
        (HttpStatusCode?)null);
}
