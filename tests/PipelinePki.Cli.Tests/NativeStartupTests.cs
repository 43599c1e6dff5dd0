using PipelinePki.TestKit;

namespace PipelinePki.Cli.Tests;

/// <summary>
/// The C start-up code linked into the Linux AOT binary (src/PipelinePki.Cli/Native), compiled here with
/// gcc into a small harness: the libcrypto warm-up starts for a command, not for help or the version, and
/// its known-answer verification comes out.
/// </summary>
public sealed class NativeStartupTests
{
    private static string NativeSource(string file)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "src", "PipelinePki.Cli", "Native", file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"src/PipelinePki.Cli/Native/{file} not found above {AppContext.BaseDirectory}");
    }

    private static async Task<string> BuildHarnessAsync(TempDirectory temp)
    {
        var harness = temp.Combine("harness.c");
        await File.WriteAllTextAsync(harness, """
            #include <stdio.h>
            int pipeline_pki_crypto_warmup_join(void);
            int main(void) { printf("verified=%d\n", pipeline_pki_crypto_warmup_join()); return 0; }
            """);
        var program = temp.Combine("harness");
        var compiled = await ProcessRunner.RunAsync("gcc", ["-O2", "-pthread", "-Wall", "-Wextra", "-Werror", "-o", program, harness, NativeSource("crypto_warmup.c"), NativeSource("prefault.c")]);
        Assert.True(compiled.ExitCode == 0, $"gcc failed: {compiled}");
        return program;
    }

    [Theory]
    [InlineData("verified=1", "cert", "verify", "leaf.pem")]
    [InlineData("verified=0", "cert", "verify", "--help")]
    [InlineData("verified=0", "--version")]
    [InlineData("verified=0")]
    public async Task WarmUp_RunsForCommands_NotForHelpOrVersion_AndItsKnownAnswerVerifies(string expected, params string[] args)
    {
        using var temp = new TempDirectory();
        var program = await BuildHarnessAsync(temp);

        var run = await ProcessRunner.RunAsync(program, args);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(expected, run.StandardOutput.Trim());
    }

    [Fact]
    public async Task WarmUp_CanBeTurnedOff()
    {
        using var temp = new TempDirectory();
        var program = await BuildHarnessAsync(temp);

        var run = await ProcessRunner.RunAsync(program, ["cert", "verify"], environment: new Dictionary<string, string?> { ["PIPELINE_PKI_NO_WARMUP"] = "1" });

        Assert.Equal("verified=0", run.StandardOutput.Trim());
    }
}
