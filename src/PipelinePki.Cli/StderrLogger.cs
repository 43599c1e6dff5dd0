using Microsoft.Extensions.Logging;

namespace PipelinePki.Cli;

/// <summary>
/// Logs as plain lines on stderr (stdout belongs to results). Synchronous and tiny on purpose: a CI
/// step starts the process every time, and a background logging thread would cost start-up time
/// and could lose the last lines on exit.
/// </summary>
internal sealed class StderrLoggerProvider(TextWriter error, LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(error, minimum);

    public void Dispose()
    {
    }

    private sealed class StderrLogger(TextWriter error, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var prefix = logLevel switch
            {
                LogLevel.Warning => "warning",
                LogLevel.Error or LogLevel.Critical => "error",
                LogLevel.Information => "info",
                _ => "debug",
            };
            lock (error)
            {
                error.WriteLine($"pipeline-pki: {prefix}: {formatter(state, exception)}");
            }
        }
    }
}
