using System.Net;
using System.Net.Http.Headers;

namespace PipelinePki.Sources.Vault;

/// <summary>
/// When to try a Vault request again and how long to wait: exponential backoff with full jitter
/// (a random delay below a ceiling that doubles per attempt), or what the server's Retry-After says.
/// </summary>
/// <param name="jitter">A number in [0, 1): the share of the ceiling to wait. Tests pin it; production draws it.</param>
internal sealed class VaultRetryPolicy(TimeSpan initialBackoff, TimeSpan maxBackoff, Func<double> jitter)
{
    /// <summary>
    /// Vault's documented transient answers: 412 (Enterprise eventual consistency: "should be retried"),
    /// 429 (standby / rate limit quota), 473 (performance standby), and server errors such as 503 (sealed
    /// or in maintenance), 500, 502 and 504.
    /// </summary>
    public static bool IsRetryable(HttpStatusCode status) => (int)status is 412 or 429 or 473 or >= 500 and <= 599;

    /// <summary>The delay before attempt <paramref name="attempt"/> + 1 (attempt 0 is the first request).</summary>
    public TimeSpan DelayAfter(int attempt, TimeSpan? retryAfter)
    {
        if (retryAfter is { } told && told > TimeSpan.Zero)
        {
            // The server knows when it will be back (a sealed node being unsealed, a quota window): believe it.
            return told;
        }

        var ceiling = initialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        ceiling = Math.Min(ceiling, maxBackoff.TotalMilliseconds);
        var share = Math.Clamp(jitter(), 0, 1);
        return TimeSpan.FromMilliseconds(Math.Round(ceiling * share));
    }

    /// <summary>Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), relative to <paramref name="now"/>.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };
}
