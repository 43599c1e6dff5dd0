using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;

namespace PipelinePki.Sources.Acme;

/// <summary>One HTTP answer from the ACME server, with the headers the protocol uses.</summary>
internal sealed record AcmeResponse(
    HttpStatusCode Status,
    byte[] Body,
    string? Location,
    IReadOnlyList<(string Url, string Rel)> Links,
    TimeSpan? RetryAfter,
    string Url);

/// <summary>
/// The transport of one ACME session: directory, the nonce pool, signed POSTs. The badNonce retry,
/// 429/503 back-off and connection retries live here, in one place, all bounded by one deadline.
/// </summary>
internal sealed class AcmeConnection(HttpClient http, AcmeSourceOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>A hostile server may reject half the nonces (Pebble's PEBBLE_WFE_NONCEREJECT=50): 0.5^20 is never.</summary>
    private const int BadNonceRetries = 20;

    private const int TransportAttempts = 4;

    private readonly Stack<string> nonces = new();
    private readonly DateTimeOffset deadline = time.GetUtcNow() + options.Timeout;
    private AcmeDirectory? directory;

    public DateTimeOffset Deadline => deadline;

    public TimeProvider Time => time;

    public async Task<AcmeDirectory> DirectoryAsync(CancellationToken cancellationToken)
    {
        if (directory is not null)
        {
            return directory;
        }

        var url = options.DirectoryUrl.ToString();
        var response = await SendWithRetryAsync(() => new HttpRequestMessage(HttpMethod.Get, url), "directory", url, cancellationToken);
        if (response.Status != HttpStatusCode.OK)
        {
            throw new RemoteFailureException(url, $"the ACME directory answered HTTP {(int)response.Status}, {url}; check --acme-directory.");
        }

        directory = AcmeJson.Parse(response.Body, AcmeJson.Default.AcmeDirectory, "directory", url);
        if (string.IsNullOrEmpty(directory.NewNonce) || string.IsNullOrEmpty(directory.NewAccount) || string.IsNullOrEmpty(directory.NewOrder))
        {
            throw new RemoteFailureException(url, $"the ACME directory lacks newNonce/newAccount/newOrder, {url}; check --acme-directory points at an RFC 8555 directory.");
        }

        return directory;
    }

    /// <summary>An unauthenticated GET (ARI renewalInfo is plain GET, RFC 9773 §4.1).</summary>
    public Task<AcmeResponse> GetAsync(string url, string operation, CancellationToken cancellationToken) =>
        SendWithRetryAsync(() => new HttpRequestMessage(HttpMethod.Get, url), operation, url, cancellationToken);

    /// <summary>
    /// A JWS-signed POST. <paramref name="sign"/> is called again with a fresh nonce after a
    /// badNonce; other problem documents become typed failures naming <paramref name="operation"/>.
    /// </summary>
    public async Task<AcmeResponse> PostAsync(
        string url, string operation, Func<string, JwsMessage> sign, CancellationToken cancellationToken, string? accept = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var nonce = await NonceAsync(cancellationToken);
            var body = JsonSerializer.SerializeToUtf8Bytes(sign(nonce), AcmeJson.Default.JwsMessage);
            var response = await SendWithRetryAsync(
                () =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/jose+json");
                    if (accept is not null)
                    {
                        request.Headers.Accept.ParseAdd(accept);
                    }

                    return request;
                },
                operation,
                url,
                cancellationToken);
            if ((int)response.Status < 400)
            {
                return response;
            }

            var problem = ParseProblem(response);
            if (AcmeProblems.ShortType(problem.Type) == "badNonce" && attempt < BadNonceRetries)
            {
                // RFC 8555 §6.5: retry with the fresh nonce the error response carried.
                logger.LogDebug("badNonce on {Operation}; retrying ({Attempt})", operation, attempt + 1);
                continue;
            }

            throw AcmeProblems.ToException(problem, operation, url, (int)response.Status);
        }
    }

    private static AcmeProblem ParseProblem(AcmeResponse response)
    {
        try
        {
            return JsonSerializer.Deserialize(response.Body, AcmeJson.Default.AcmeProblem) ?? new AcmeProblem(null, null, null, null);
        }
        catch (JsonException)
        {
            var text = System.Text.Encoding.UTF8.GetString(response.Body.AsSpan(0, Math.Min(response.Body.Length, 200)));
            return new AcmeProblem("serverInternal", $"HTTP {(int)response.Status} without a problem document: {text}", (int)response.Status, null);
        }
    }

    private async Task<string> NonceAsync(CancellationToken cancellationToken)
    {
        if (nonces.TryPop(out var nonce))
        {
            return nonce;
        }

        var newNonce = (await DirectoryAsync(cancellationToken)).NewNonce;
        var response = await SendWithRetryAsync(() => new HttpRequestMessage(HttpMethod.Head, newNonce), "newNonce", newNonce, cancellationToken);
        if (nonces.TryPop(out nonce))
        {
            return nonce;
        }

        throw new RemoteFailureException(newNonce, $"the ACME server gave no Replay-Nonce (HTTP {(int)response.Status}), {newNonce}; check --acme-directory.");
    }

    /// <summary>Sends, retrying connection failures and 429/503 (honouring Retry-After) until the deadline.</summary>
    private async Task<AcmeResponse> SendWithRetryAsync(Func<HttpRequestMessage> create, string operation, string url, CancellationToken cancellationToken)
    {
        var transportFailures = 0;
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var request = create();

            AcmeResponse response;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Clamp(deadline - time.GetUtcNow(), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(60)));
                using var message = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                response = await ReadAsync(message, url, timeout.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is HttpRequestException or OperationCanceledException or IOException)
            {
                transportFailures++;
                var reason = Reason(e);
                var permanent = e is HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException };
                if (permanent || transportFailures >= TransportAttempts || !await BackOffAsync(Backoff(attempt), cancellationToken))
                {
                    throw new RemoteFailureException(url, $"cannot reach the ACME server for {operation} ({reason}, {transportFailures} attempts), {url}; check --acme-directory, the network and --acme-ca-bundle.", e);
                }

                logger.LogDebug("{Operation}: {Reason}; retrying", operation, reason);
                continue;
            }

            if (response.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            {
                var wait = response.RetryAfter ?? Backoff(attempt);
                options.Progress?.Report($"acme: {operation}: HTTP {(int)response.Status}, retrying in {wait.TotalSeconds:0.#} s");
                if (await BackOffAsync(wait, cancellationToken))
                {
                    continue;
                }
            }

            return response;
        }
    }

    private async Task<AcmeResponse> ReadAsync(HttpResponseMessage message, string url, CancellationToken cancellationToken)
    {
        if (message.Headers.TryGetValues("Replay-Nonce", out var replay))
        {
            foreach (var value in replay)
            {
                nonces.Push(value);
            }
        }

        var links = new List<(string, string)>();
        if (message.Headers.TryGetValues("Link", out var linkHeaders))
        {
            foreach (var header in linkHeaders)
            {
                links.AddRange(ParseLinks(header, message.RequestMessage?.RequestUri ?? new Uri(url)));
            }
        }

        TimeSpan? retryAfter = message.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow() is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
            _ => null,
        };
        var body = await message.Content.ReadAsByteArrayAsync(cancellationToken);
        var location = message.Headers.Location is { } loc ? new Uri(message.RequestMessage?.RequestUri ?? new Uri(url), loc).ToString() : null;
        return new AcmeResponse(message.StatusCode, body, location, links, retryAfter, url);
    }

    /// <summary>RFC 8288 Link headers: <c>&lt;url&gt;;rel="alternate", &lt;url&gt;;rel="up"</c>.</summary>
    internal static IEnumerable<(string Url, string Rel)> ParseLinks(string header, Uri baseUri)
    {
        foreach (var part in header.Split(','))
        {
            var open = part.IndexOf('<', StringComparison.Ordinal);
            var close = part.IndexOf('>', StringComparison.Ordinal);
            if (open < 0 || close < open)
            {
                continue;
            }

            var target = part[(open + 1)..close];
            var rel = part[(close + 1)..].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .Where(kv => kv.Length == 2 && kv[0].Equals("rel", StringComparison.OrdinalIgnoreCase))
                .Select(kv => kv[1].Trim('"'))
                .FirstOrDefault();
            if (rel is not null)
            {
                yield return (new Uri(baseUri, target).ToString(), rel);
            }
        }
    }

    /// <summary>Waits unless that would pass the deadline; false when there is no time left.</summary>
    public async Task<bool> BackOffAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() + wait > deadline)
        {
            return false;
        }

        await Task.Delay(wait, time, cancellationToken);
        return true;
    }

    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(250 * Math.Pow(2, Math.Min(attempt, 6)), 10_000) * (0.75 + (Random.Shared.NextDouble() / 2)));

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;

    private static string Reason(Exception e) => e switch
    {
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } =>
            "TLS: the server's certificate is not trusted (give its CA with --acme-ca-bundle)",
        HttpRequestException h => h.HttpRequestError switch
        {
            HttpRequestError.ConnectionError => "connection refused or reset",
            HttpRequestError.NameResolutionError => "host name not found",
            HttpRequestError.SecureConnectionError => "TLS handshake failed (check --acme-ca-bundle)",
            _ => h.Message,
        },
        OperationCanceledException => "timed out",
        _ => e.Message,
    };
}
