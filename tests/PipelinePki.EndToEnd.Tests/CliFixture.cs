using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

/// <summary>Runs the CLI as a process with a private working folder and a controlled environment.</summary>
public sealed class CliSession : IDisposable
{
    public const string Passphrase = "e2e passphrase that must never be printed";

    private readonly TempDirectory temp = new();

    public string Root => temp.Path;

    public string Home => temp.Combine("ca");

    public Dictionary<string, string?> Environment { get; } = new()
    {
        ["PIPELINE_PKI_CA_PASSPHRASE"] = Passphrase,
    };

    public string PathOf(params string[] parts) => temp.Combine(parts);

    public async Task<ProcessResult> RunAsync(params string[] arguments)
    {
        var result = await CliProcess.RunAsync(Environment, Root, arguments);
        // Whatever happened, no secret and no stack trace may reach the user's terminal or CI log. A CI
        // platform's mask registration is the one exception: the runner consumes it and never shows it.
        var visible = result.StandardOutput.Split('\n').Concat(result.StandardError.Split('\n'))
            .Where(l => !l.StartsWith("::add-mask::", StringComparison.Ordinal) && !l.StartsWith("##vso[task.setsecret]", StringComparison.Ordinal));
        Assert.DoesNotContain(Passphrase, string.Join('\n', visible), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY-----", result.Combined, StringComparison.Ordinal);
        if (!arguments.Contains("--verbose"))
        {
            Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
        }

        return result;
    }

    public async Task<ProcessResult> RunOkAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.ExitCode == 0, $"pipeline-pki {string.Join(' ', arguments)}\n{result}");
        return result;
    }

    public async Task InitAsync(params string[] extra) =>
        await RunOkAsync(["ca", "init", "--home", Home, "--name", "E2E", .. extra]);

    public void Dispose() => temp.Dispose();
}

public static class ErrorAssert
{
    /// <summary>A failure is exactly one "pipeline-pki: error:" line naming what it is about, with the contract's exit code.</summary>
    public static void OneLine(ProcessResult result, int exitCode, string mentions)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}\n{result}");
        var errors = result.StandardError.Split('\n').Where(l => l.StartsWith("pipeline-pki: error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, result.ToString());
        Assert.Contains(mentions, errors[0], StringComparison.Ordinal);
    }
}
