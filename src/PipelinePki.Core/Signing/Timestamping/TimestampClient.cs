using System.Net.Http.Headers;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Tsp;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Tsp;
using PipelinePki.Core.Validation.Ocsp;

namespace PipelinePki.Core.Signing.Timestamping;

/// <summary>
/// RFC 3161 §3.4 over HTTP: POSTs a TimeStampReq (random 64-bit nonce, certReq) as
/// <c>application/timestamp-query</c> and accepts only an <c>application/timestamp-reply</c> that
/// grants a token for our imprint and nonce, signed by the certificate it carries. Returns the whole
/// DER TimeStampResp, which is what Sigstore bundles store. Every failure is a one-line
/// <see cref="RemoteFailureException"/> naming the URL.
/// </summary>
public sealed class TimestampClient
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A response with a chain is a few KiB; anything near this is not a timestamp.</summary>
    public const long MaxResponseBytes = 1024 * 1024;

    public const string QueryMediaType = "application/timestamp-query";
    public const string ReplyMediaType = "application/timestamp-reply";

    private readonly HttpClient http;
    private readonly TimeSpan timeout;

    /// <param name="http">Shared client; not disposed here.</param>
    /// <param name="timeout">Deadline for one request, headers and body together.</param>
    public TimestampClient(HttpClient http, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(http);
        this.http = http;
        this.timeout = HttpFetch.CheckTimeout(timeout, DefaultTimeout);
    }

    public async Task<byte[]> RequestAsync(Uri tsa, byte[] messageImprint, HashAlgorithmName hash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tsa);
        TimestampHashes.CheckImprint(messageImprint, hash);
        var nonce = NewNonce();
        var generator = new TimeStampRequestGenerator();
        generator.SetCertReq(true);
        var request = generator.Generate(TimestampHashes.OidOf(hash), messageImprint, nonce);

        byte[] body;
        string? contentType;
        try
        {
            (body, contentType) = await PostAsync(tsa, request.GetEncoded(), ct);
        }
        catch (HttpRequestException e)
        {
            throw new RemoteFailureException(tsa.ToString(), $"{tsa}: timestamp request failed: {OneLine(e.Message)}.", e);
        }
        catch (TimeoutException e)
        {
            throw new RemoteFailureException(tsa.ToString(), $"{tsa}: timestamp request {e.Message}.", e);
        }

        if (!string.Equals(contentType, ReplyMediaType, StringComparison.OrdinalIgnoreCase))
        {
            throw new RemoteFailureException(
                tsa.ToString(), $"{tsa}: answered with Content-Type '{contentType ?? "(none)"}', not {ReplyMediaType}; is this a timestamp authority?");
        }

        Check(tsa, body, messageImprint, hash, nonce);
        return body;
    }

    /// <summary>Checks a reply against what we asked: granted, our imprint and nonce, a valid TSA signature.</summary>
    internal static void Check(Uri tsa, byte[] body, byte[] messageImprint, HashAlgorithmName hash, BigInteger nonce)
    {
        TimeStampResp response;
        try
        {
            response = TimeStampResp.GetInstance(Asn1Object.FromByteArray(body));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException)
        {
            throw new RemoteFailureException(tsa.ToString(), $"{tsa}: the reply is not a DER TimeStampResp.", e);
        }

        var status = response.Status.Status.IntValueExact;
        if (status is not (0 or 1))
        {
            var free = response.Status.StatusString;
            var text = free is null ? "no reason given" : string.Join("; ", Enumerable.Range(0, free.Count).Select(i => free[i].GetString()));
            throw new RemoteFailureException(
                tsa.ToString(), $"{tsa}: the timestamp authority refused the request ({StatusName(status)}: {OneLine(text)}).");
        }

        TimestampVerification verified;
        try
        {
            verified = TimestampVerifier.Verify(body, messageImprint, hash);
        }
        catch (Exception e) when (e is NotValidException or BadInputException)
        {
            throw new RemoteFailureException(tsa.ToString(), $"{tsa}: unusable timestamp: {e.Message}", e);
        }

        if (verified.Nonce is null || !string.Equals(verified.Nonce, nonce.ToString(16), StringComparison.OrdinalIgnoreCase))
        {
            throw new RemoteFailureException(
                tsa.ToString(), $"{tsa}: the timestamp does not echo our nonce (a replayed or stale response); rejected.");
        }
    }

    private async Task<(byte[] Body, string? ContentType)> PostAsync(Uri tsa, byte[] request, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, tsa);
        message.Content = new ByteArrayContent(request);
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(QueryMediaType);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ReplyMediaType));

        var effective = http.Timeout > TimeSpan.Zero && http.Timeout < timeout ? http.Timeout : timeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException(
                    $"HTTP {(int)response.StatusCode} {response.ReasonPhrase ?? response.StatusCode.ToString()}".TrimEnd(),
                    null,
                    response.StatusCode);
            }

            var body = await HttpFetch.ReadLimitedAsync(response.Content, MaxResponseBytes, "timestamp reply", deadline.Token);
            return (body, response.Content.Headers.ContentType?.MediaType);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"timed out after {HttpFetch.Seconds(effective)}", e);
        }
    }

    private static BigInteger NewNonce()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        bytes[0] &= 0x7F;
        bytes[0] |= 0x01;
        return new BigInteger(1, bytes.ToArray());
    }

    private static string StatusName(int status) => status switch
    {
        2 => "rejection",
        3 => "waiting",
        4 => "revocationWarning",
        5 => "revocationNotification",
        _ => $"PKIStatus {status}",
    };

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.');
}
