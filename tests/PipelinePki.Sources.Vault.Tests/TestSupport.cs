using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using PipelinePki.Core.Authorities;
using PipelinePki.Sources.Vault;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Vault;

namespace PipelinePki.Sources.Vault.Tests;

/// <summary>Every log line at Trace and above, formatted, with exceptions: what a user's CI log could show.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> lines = new();

    /// <summary>Every line as it is written, for tests that react to a retry being scheduled.</summary>
    public Channel<string> Written { get; } = Channel.CreateUnbounded<string>();

    public string Text => string.Join('\n', lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel} {category}: {formatter(state, exception)} {exception}";
            owner.lines.Enqueue(line);
            owner.Written.Writer.TryWrite(line);
        }
    }
}

/// <summary>A Vault source wired as the CLI wires it, with every log line captured at Trace.</summary>
public sealed class VaultHarness : IAsyncDisposable
{
    private readonly ILoggerFactory loggers;

    public VaultHarness(VaultOptions options, TimeProvider? time = null, Func<double>? jitter = null)
    {
        Logs = new CapturingLoggerProvider();
        loggers = LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Trace);
            builder.AddProvider(Logs);
        });
        Host = VaultSourceHost.Create(options, loggers, time ?? TimeProvider.System, jitter);
    }

    public CapturingLoggerProvider Logs { get; }

    public VaultSourceHost Host { get; }

    public VaultSource Source => Host.Source;

    public static VaultOptions Options(VaultStandIn standIn, VaultAuthentication? authentication = null) => new()
    {
        Address = standIn.Address,
        Mount = standIn.Options.Mount,
        Role = standIn.Options.Role.Name,
        Authentication = authentication ?? Token(standIn.Options.RootToken),
        Timeout = TimeSpan.FromSeconds(20),
    };

    public static VaultTokenAuthentication Token(string token) => new(new VaultSecret("test token", _ => Task.FromResult(token)));

    public static IssueRequest Request(string name = "build.example.internal", params string[] sans) =>
        ThrowawayCa.Request(name, sans: sans);

    /// <summary>No secret reached a log line.</summary>
    public void AssertLogsFree(params string?[] secrets)
    {
        var text = Logs.Text;
        Assert.False(string.IsNullOrEmpty(text), "nothing was logged: the Trace capture is not wired");
        foreach (var secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            Assert.DoesNotContain(secret!, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("PRIVATE KEY-----", text, StringComparison.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        loggers.Dispose();
    }
}

/// <summary>A test-owned IWorkloadIdentity: hands out one JWT and remembers which audience was asked for.</summary>
public sealed class SpyWorkloadIdentity(string jwt) : IWorkloadIdentity
{
    public List<string> Audiences { get; } = [];

    public Task<string> RequestIdTokenAsync(string audience, CancellationToken cancellationToken)
    {
        Audiences.Add(audience);
        return Task.FromResult(jwt);
    }
}
