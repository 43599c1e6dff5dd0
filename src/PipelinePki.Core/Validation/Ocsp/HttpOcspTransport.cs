using System.Net.Http.Headers;

namespace PipelinePki.Core.Validation.Ocsp;

/// <summary>
/// RFC 6960 Appendix A.1 over HTTP: one POST of the DER request as <c>application/ocsp-request</c>.
/// POST rather than GET because our requests carry a fresh nonce, so a GET would never hit an
/// HTTP cache anyway and URL length limits stop mattering.
/// </summary>
/// <remarks>
/// Failures surface as <see cref="HttpRequestException"/> (network, non-2xx with its status code,
/// oversized body) or <see cref="TimeoutException"/> (the per-request deadline); only a cancellation
/// of the caller's token surfaces as <see cref="OperationCanceledException"/>.
/// </remarks>
public sealed class HttpOcspTransport : IOcspTransport
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Real responses are a few KiB even with a certificate chain; anything near this is not OCSP.</summary>
    public const long MaxResponseBytes = 1024 * 1024;

    private readonly HttpClient httpClient;
    private readonly TimeSpan timeout;

    /// <param name="httpClient">Shared client (from IHttpClientFactory in the CLI); not disposed here.</param>
    /// <param name="timeout">Deadline for one request, headers and body together; 10 s when null.</param>
    public HttpOcspTransport(HttpClient httpClient, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        this.httpClient = httpClient;
        this.timeout = HttpFetch.CheckTimeout(timeout, DefaultTimeout);
    }

    public TimeSpan Timeout => timeout;

    public async Task<byte[]> SendAsync(Uri responder, byte[] request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(responder);
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await SendOnceAsync(responder, request, cancellationToken);
        }
        catch (HttpRequestException e) when (IsConnectionDropped(e))
        {
            // A responder that drops the connection mid-exchange (seen with OpenSSL's own under load)
            // gets one more try: an OCSP query is safe to repeat, and a second reset is reported as is.
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            return await SendOnceAsync(responder, request, cancellationToken);
        }
    }

    private async Task<byte[]> SendOnceAsync(Uri responder, byte[] request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, responder);
        message.Content = new ByteArrayContent(request);
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/ocsp-request");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/ocsp-response"));
        // One request per connection: simple responders (OpenSSL's among them) close after each
        // answer without saying so, and a pooled connection reused after that fails with a reset.
        // Each certificate is asked once per run anyway, so keep-alive saves nothing here.
        message.Headers.ConnectionClose = true;
        return await HttpFetch.SendAsync(httpClient, message, timeout, MaxResponseBytes, "OCSP response", cancellationToken);
    }

    private static bool IsConnectionDropped(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ResponseEnded
        || e.InnerException is IOException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset } }
        || e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset };
}
