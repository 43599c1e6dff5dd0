using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Vault;

namespace PipelinePki.Sources.Vault.Tests;

/// <summary>
/// Transient answers are retried on a schedule pinned by a fake clock: the stand-in stamps each
/// request with the same fake clock, and the test moves it exactly by the delay the client announced.
/// </summary>
public sealed partial class VaultRetryTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task IssueAsync_ServerErrors_RetriedWithExponentialBackoff_ScheduleExact()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { Clock = clock });
        vault.Enqueue(new VaultFault.Status("pki/sign", 503, "Vault is sealed"));
        vault.Enqueue(new VaultFault.Status("pki/sign", 500, "internal error"));
        vault.Enqueue(new VaultFault.Status("pki/sign", 412, "required index state not present"));
        vault.Enqueue(new VaultFault.Status("pki/sign", 473));
        await using var harness = new VaultHarness(VaultHarness.Options(vault) with { Timeout = TimeSpan.FromMinutes(5) }, clock, jitter: () => 1.0);

        var issue = harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
        var announced = await DriveAsync(harness, clock, issue, retries: 4);
        using var issued = await issue;

        Assert.Equal([250, 500, 1000, 2000], announced);
        var times = vault.Requests.Where(r => r.Path == "v1/pki/sign/ci").Select(r => r.At).ToList();
        Assert.Equal(5, times.Count);
        Assert.Equal([250, 500, 1000, 2000], times.Zip(times.Skip(1), (a, b) => (long)(b - a).TotalMilliseconds));
        harness.AssertLogsFree(vault.Options.RootToken);
    }

    [Fact]
    public async Task IssueAsync_429WithRetryAfter_WaitsWhatTheServerSays()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { Clock = clock });
        vault.Enqueue(new VaultFault.Status("pki/sign", 429, "request path \"pki/sign/ci\": rate limit quota exceeded", RetryAfterSeconds: 3));
        await using var harness = new VaultHarness(VaultHarness.Options(vault), clock, jitter: () => 0.5);

        var issue = harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
        var announced = await DriveAsync(harness, clock, issue, retries: 1);
        using var issued = await issue;

        Assert.Equal([3000], announced);
        var times = vault.Requests.Where(r => r.Path == "v1/pki/sign/ci").Select(r => r.At).ToList();
        Assert.Equal(TimeSpan.FromSeconds(3), times[1] - times[0]);
    }

    [Fact]
    public async Task IssueAsync_SealedThroughout_GivesUpBeforeTheDeadline_OneLineWithMethodUrlAndReason()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { Clock = clock, Sealed = true });
        await using var harness = new VaultHarness(VaultHarness.Options(vault) with { Timeout = TimeSpan.FromSeconds(5) }, clock, jitter: () => 1.0);

        var issue = harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
        var announced = await DriveAsync(harness, clock, issue, retries: 4);
        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => issue);

        // 250 + 500 + 1000 + 2000 = 3.75 s; the next wait (4 s) would pass the 5 s deadline.
        Assert.Equal([250, 500, 1000, 2000], announced);
        Assert.Equal(5, vault.Requests.Count);
        Assert.Contains($"POST {vault.Url}/v1/pki/sign/ci", error.Message, StringComparison.Ordinal);
        Assert.Contains("503 Vault is sealed", error.Message, StringComparison.Ordinal);
        Assert.Contains("gave up after 5 attempt(s) within --vault-timeout 5s", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain(vault.Options.RootToken, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IssueAsync_DroppedConnection_RetriedAndSucceeds()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        vault.Enqueue(new VaultFault.Drop("pki/sign"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault), jitter: () => 0.1);

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);

        Assert.Equal(2, vault.Requests.Count(r => r.Path == "v1/pki/sign/ci"));
        Assert.Contains("connection", harness.Logs.Text, StringComparison.Ordinal);
        harness.AssertLogsFree(vault.Options.RootToken);
    }

    [Fact]
    public async Task IssueAsync_SlowButWithinTimeout_Succeeds_SlowerThanTimeout_FailsSayingNoAnswer()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        vault.Enqueue(new VaultFault.Slow("pki/sign", TimeSpan.FromMilliseconds(400)));
        await using (var patient = new VaultHarness(VaultHarness.Options(vault) with { Timeout = TimeSpan.FromSeconds(20) }))
        {
            using var issued = await patient.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
            Assert.Single(vault.Requests, r => r.Path == "v1/pki/sign/ci");
        }

        vault.Enqueue(new VaultFault.Slow("pki/sign", TimeSpan.FromSeconds(30)));
        await using var hasty = new VaultHarness(VaultHarness.Options(vault) with { Timeout = TimeSpan.FromSeconds(2) });
        var started = DateTimeOffset.UtcNow;
        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => hasty.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));
        var took = DateTimeOffset.UtcNow - started;

        Assert.Contains("no answer within --vault-timeout 2s", error.Message, StringComparison.Ordinal);
        Assert.True(took < TimeSpan.FromSeconds(10), $"took {took}");
    }

    [Fact]
    public async Task IssueAsync_Unreachable_RetriesConnectionFailuresThenExitsAsRemoteFailure()
    {
        var port = TestKit.Http.LoopbackPkiServer.FreeTcpPort();
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault) with { Address = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(2) });

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));

        Assert.Contains($"POST http://127.0.0.1:{port}/v1/pki/sign/ci: connection failed", error.Message, StringComparison.Ordinal);
        Assert.Matches(@"gave up after [2-9]\d* attempt\(s\)", error.Message);
    }

    [Theory]
    [InlineData(412, true)]
    [InlineData(429, true)]
    [InlineData(473, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(400, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(405, false)]
    public void IsRetryable_FollowsVaultsStatusCodes(int status, bool retryable) =>
        Assert.Equal(retryable, VaultRetryPolicy.IsRetryable((HttpStatusCode)status));

    [Fact]
    public void DelayAfter_FullJitterBelowADoublingCeiling_CappedAtMaxBackoff()
    {
        var share = 0.5;
        var policy = new VaultRetryPolicy(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), () => share);

        Assert.Equal(TimeSpan.FromMilliseconds(100), policy.DelayAfter(0, null));
        Assert.Equal(TimeSpan.FromMilliseconds(200), policy.DelayAfter(1, null));
        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.DelayAfter(5, null));
        share = 0;
        Assert.Equal(TimeSpan.Zero, policy.DelayAfter(3, null));
        Assert.Equal(TimeSpan.FromSeconds(7), policy.DelayAfter(3, TimeSpan.FromSeconds(7)));
    }

    [Fact]
    public void RetryAfter_ReadsSecondsAndHttpDates()
    {
        var now = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromSeconds(4), VaultRetryPolicy.RetryAfter(new RetryConditionHeaderValue(TimeSpan.FromSeconds(4)), now));
        Assert.Equal(TimeSpan.FromSeconds(90), VaultRetryPolicy.RetryAfter(new RetryConditionHeaderValue(now.AddSeconds(90)), now));
        Assert.Null(VaultRetryPolicy.RetryAfter(null, now));
    }

    [Fact]
    public void Redact_RemovesKnownSecretsVaultTokensAndJwts()
    {
        var redactor = new SecretRedactor();
        redactor.Add("my-secret-id-123");
        var text = redactor.Redact("bad secret my-secret-id-123, token hvs.CAESIJabcdefghijklmnopqrstuvwxyz012345 and jwt eyJhbGciOi.eyJzdWIi.c2ln here");

        Assert.Equal("bad secret [redacted], token [redacted] and jwt [redacted] here", text);
    }

    /// <summary>Waits for each announced retry and moves the fake clock by exactly that delay.</summary>
    private static async Task<List<long>> DriveAsync(VaultHarness harness, FakeTimeProvider clock, Task running, int retries)
    {
        var announced = new List<long>();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (announced.Count < retries)
        {
            var line = await harness.Logs.Written.Reader.ReadAsync(patience.Token);
            var match = RetryLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var delay = long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            announced.Add(delay);
            clock.Advance(TimeSpan.FromMilliseconds(delay));
        }

        return announced;
    }

    [GeneratedRegex(@"; retry \d+ in (\d+) ms")]
    private static partial Regex RetryLine();
}
