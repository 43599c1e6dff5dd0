using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;

namespace PipelinePki.Sources.Vault;

/// <summary>One Vault HTTP call: what it does (for messages), method, path under <c>/v1/</c>, body, token.</summary>
internal sealed record VaultCall(string Operation, HttpMethod Method, string Path, byte[]? JsonBody = null, string? Token = null, TimeSpan? WrapTtl = null, bool IsLogin = false);

/// <summary>A successful answer: status, content type and the body bytes.</summary>
internal sealed record VaultReply(HttpStatusCode Status, string? ContentType, byte[] Body, Uri Url);

/// <summary>
/// Vault's HTTP API as its documentation describes it: <c>X-Vault-Token</c>, <c>X-Vault-Namespace</c>,
/// <c>X-Vault-Wrap-TTL</c>, <c>{"errors":[…]}</c> bodies, 307 from standby nodes to the active one, and
/// transient answers (412, 429, 473, 5xx, dropped connections) retried within one deadline.
/// </summary>
internal sealed partial class VaultApi(
    HttpClient http,
    VaultOptions options,
    VaultRetryPolicy retry,
    SecretRedactor redactor,
    TimeProvider time,
    ILogger<VaultApi> logger)
{
    public const string HttpClientName = "PipelinePki.Sources.Vault";

    private const int MaxRedirects = 3;
    private const int MaxBodyBytes = 32 * 1024 * 1024;

    public SecretRedactor Redactor => redactor;

    public Uri UrlOf(string path) => new(options.ApiRoot, path.TrimStart('/'));

    public async Task<VaultReply> SendAsync(VaultCall call, CancellationToken cancellationToken)
    {
        var url = UrlOf(call.Path);
        var deadline = time.GetUtcNow() + options.Timeout;
        string? lastAnswer = null;
        for (var attempt = 0; ; attempt++)
        {
            string reason;
            TimeSpan? retryAfter = null;
            var remaining = deadline - time.GetUtcNow();
            using var attemptTimeout = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attemptTimeout.Token);
            try
            {
                var (status, contentType, body, finalUrl, retryHeader) = await SendFollowingRedirectsAsync(call, url, linked.Token);
                if ((int)status is >= 200 and < 300)
                {
                    logger.LogTrace("{Method} {Url}: {Status} after {Attempts} attempt(s)", call.Method, finalUrl, (int)status, attempt + 1);
                    return new VaultReply(status, contentType, body, finalUrl);
                }

                var messages = ErrorsOf(body);
                if (!VaultRetryPolicy.IsRetryable(status))
                {
                    throw Refusal(call, finalUrl, status, messages);
                }

                reason = $"{(int)status} {Describe(status, messages)}";
                lastAnswer = reason;
                retryAfter = VaultRetryPolicy.RetryAfter(retryHeader, time.GetUtcNow());
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                reason = $"no answer within --vault-timeout {Durations.Format(options.Timeout)}";
            }
            catch (HttpRequestException e)
            {
                reason = $"connection failed ({redactor.Redact(Flatten(e))})";
            }
            catch (IOException e)
            {
                reason = $"connection dropped ({redactor.Redact(e.Message)})";
            }

            var delay = retry.DelayAfter(attempt, retryAfter);
            if (time.GetUtcNow() + delay >= deadline)
            {
                if (lastAnswer is not null && lastAnswer != reason)
                {
                    // The last attempt may only have run out of time; what Vault said before matters more.
                    reason = $"{reason} (Vault's last answer: {lastAnswer})";
                }

                throw new RemoteFailureException(
                    url.AbsoluteUri,
                    $"Vault {call.Operation} failed: {call.Method} {url.AbsoluteUri}: {reason}; gave up after {attempt + 1} attempt(s) within --vault-timeout {Durations.Format(options.Timeout)}. Check that Vault is reachable, unsealed and active, or allow more time with --vault-timeout.");
            }

            // The timer exists before the log line is written, so a test that advances a fake clock
            // on seeing the line never advances it too early.
            var wait = Task.Delay(delay, time, cancellationToken);
            logger.LogDebug("{Method} {Url}: {Reason}; retry {Attempt} in {DelayMs} ms", call.Method, url, reason, attempt + 1, (long)delay.TotalMilliseconds);
            await wait;
        }
    }

    /// <summary>Reads a JSON answer into <typeparamref name="T"/>; a body that is not what Vault documents is a remote failure.</summary>
    public T Parse<T>(VaultReply reply, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string operation)
    {
        try
        {
            return JsonSerializer.Deserialize(reply.Body, type)
                ?? throw new JsonException("empty body");
        }
        catch (JsonException e)
        {
            throw new RemoteFailureException(reply.Url.AbsoluteUri, $"Vault {operation}: {reply.Url.AbsoluteUri} answered {(int)reply.Status} with a body that is not Vault's JSON ({e.Message}); check --vault-addr points at Vault.", e);
        }
    }

    private async Task<(HttpStatusCode Status, string? ContentType, byte[] Body, Uri Url, System.Net.Http.Headers.RetryConditionHeaderValue? RetryAfter)> SendFollowingRedirectsAsync(
        VaultCall call, Uri url, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(call.Method, url);
            request.Headers.Accept.ParseAdd("application/json");
            if (call.Token is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Vault-Token", call.Token);
            }

            if (!string.IsNullOrEmpty(options.Namespace))
            {
                request.Headers.TryAddWithoutValidation("X-Vault-Namespace", options.Namespace);
            }

            if (call.WrapTtl is { } wrapTtl)
            {
                request.Headers.TryAddWithoutValidation("X-Vault-Wrap-TTL", $"{(long)wrapTtl.TotalSeconds}s");
            }

            if (call.JsonBody is not null)
            {
                request.Content = new ByteArrayContent(call.JsonBody);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            }

            logger.LogTrace("{Method} {Url}", call.Method, url);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect && response.Headers.Location is { } location)
            {
                // A standby node sends clients to the active node with 307; method and body stay the same.
                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                if (hop >= MaxRedirects)
                {
                    throw new RemoteFailureException(url.AbsoluteUri, $"Vault {call.Operation}: {call.Method} {url.AbsoluteUri}: more than {MaxRedirects} redirects; point --vault-addr at the active node or the cluster's load balancer.");
                }

                if (url.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps)
                {
                    throw new RemoteFailureException(url.AbsoluteUri, $"Vault {call.Operation}: {call.Method} {url.AbsoluteUri} redirected to {next.GetLeftPart(UriPartial.Authority)} without TLS; refused (the token would travel in clear). Fix the cluster's api_addr.");
                }

                logger.LogDebug("{Method} {Url}: {Status}, following to {Next}", call.Method, url, (int)response.StatusCode, next);
                url = next;
                continue;
            }

            var body = await ReadBodyAsync(response, cancellationToken);
            return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, url, response.Headers.RetryAfter);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new HttpRequestException($"the answer is larger than {MaxBodyBytes / (1024 * 1024)} MiB");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private PipelinePkiException Refusal(VaultCall call, Uri url, HttpStatusCode status, IReadOnlyList<string> messages)
    {
        var what = Describe(status, messages);
        var where = $"{call.Method} {url.AbsoluteUri}";
        if (status is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden && messages.Any(m => RoleRefusal().IsMatch(m)))
        {
            return new PolicyViolationException(
                "vault-role",
                $"Vault role '{options.Role}' refused the request: {what} ({where}); ask only for names and a TTL the role allows, or have the role changed.");
        }

        if (call.IsLogin)
        {
            return new RemoteFailureException(
                url.AbsoluteUri,
                $"Vault {options.Authentication.MethodName} login failed: {where} answered {(int)status} {what}; check the {options.Authentication.MethodName} credentials, role and --auth-mount.");
        }

        if (status == HttpStatusCode.Forbidden && options.Authentication is VaultTokenAuthentication token)
        {
            return new RemoteFailureException(
                url.AbsoluteUri,
                $"Vault {call.Operation} refused: {where} answered 403 {what}; the token from {token.Token.Origin} is invalid, expired or lacks a policy for this path.");
        }

        if (status == HttpStatusCode.Forbidden)
        {
            return new RemoteFailureException(
                url.AbsoluteUri,
                $"Vault {call.Operation} refused: {where} answered 403 {what}; the token from the {options.Authentication.MethodName} login lacks a policy for this path.");
        }

        var hint = status == HttpStatusCode.NotFound
            ? $"check --mount '{options.MountPath}'{(options.Role is null ? string.Empty : $" and --role '{options.Role}'")}{(options.Namespace is null ? string.Empty : $" in namespace '{options.Namespace}'")}"
            : "see Vault's message";
        return new RemoteFailureException(url.AbsoluteUri, $"Vault {call.Operation} failed: {where} answered {(int)status} {what}; {hint}.");
    }

    private string Describe(HttpStatusCode status, IReadOnlyList<string> messages)
    {
        if (messages.Count > 0)
        {
            return redactor.Redact(string.Join("; ", messages.Select(m => string.Join(' ', m.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))));
        }

        return (int)status switch
        {
            412 => "(precondition failed: the node has not caught up yet)",
            429 => "(standby node or rate limit)",
            473 => "(performance standby node)",
            503 => "(Vault is sealed or in maintenance)",
            _ => $"({status})",
        };
    }

    private static IReadOnlyList<string> ErrorsOf(byte[] body)
    {
        if (body.Length == 0)
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(body, VaultJson.Default.VaultErrorBody)?.Errors?.Where(e => !string.IsNullOrWhiteSpace(e)).ToList() ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string Flatten(Exception e)
    {
        var parts = new List<string>();
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            parts.Add(current.Message);
        }

        return string.Join(": ", parts.Distinct());
    }

    // Vault's PKI backend refuses names and TTLs outside a role with messages such as
    // "common name x not allowed by this role" or "URI Subject Alternative Names are not allowed in this role".
    [GeneratedRegex(@"not allowed (by|in|for) (this |the )?role|role .* does not allow|is not allowed by role", RegexOptions.IgnoreCase)]
    private static partial Regex RoleRefusal();
}
