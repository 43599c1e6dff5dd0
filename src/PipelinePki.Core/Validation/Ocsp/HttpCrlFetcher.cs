using System.Net.Http.Headers;

namespace PipelinePki.Core.Validation.Ocsp;

/// <summary>
/// Downloads a CRL named by a CRL distribution point (HTTP GET). The body is streamed and cut off
/// at a size limit, because a hostile or broken server can send an endless body or lie in
/// Content-Length, and a CI job should fail with a clear line rather than run out of memory.
/// </summary>
/// <remarks>
/// Failures surface as <see cref="HttpRequestException"/> (network, non-2xx with its status code,
/// over the size limit with <see cref="HttpRequestError.ConfigurationLimitExceeded"/>) or
/// <see cref="TimeoutException"/>; only the caller's token yields <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed class HttpCrlFetcher : ICrlFetcher
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Large public CAs publish CRLs of tens of MiB; 64 MiB leaves room without inviting abuse.</summary>
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    private readonly HttpClient httpClient;
    private readonly TimeSpan timeout;
    private readonly long maxBytes;

    /// <param name="httpClient">Shared client (from IHttpClientFactory in the CLI); not disposed here.</param>
    /// <param name="timeout">Deadline for one download, headers and body together; 10 s when null.</param>
    /// <param name="maxBytes">Largest CRL accepted.</param>
    public HttpCrlFetcher(HttpClient httpClient, TimeSpan? timeout = null, long maxBytes = DefaultMaxBytes)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        this.httpClient = httpClient;
        this.timeout = HttpFetch.CheckTimeout(timeout, DefaultTimeout);
        this.maxBytes = maxBytes;
    }

    public async Task<byte[]> FetchAsync(Uri location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        using var message = new HttpRequestMessage(HttpMethod.Get, location);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/pkix-crl"));
        // Many CRL servers label CRLs application/octet-stream or worse; never let negotiation refuse one.
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*", 0.1));
        return await HttpFetch.SendAsync(httpClient, message, timeout, maxBytes, "CRL", cancellationToken);
    }
}
