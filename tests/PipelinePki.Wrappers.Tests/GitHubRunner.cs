using PipelinePki.TestKit;

namespace PipelinePki.Wrappers.Tests;

/// <summary>
/// A faithful stand-in for what GitHub's runner gives a docker action step: the workspace as the
/// working directory, INPUT_* for every declared input (defaults filled in as the runner does), the
/// file commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE, GITHUB_STEP_SUMMARY) as fresh files per
/// step, and the run's identity variables. Outputs are parsed back the way the runner parses them.
/// </summary>
public sealed class GitHubRunner : IDisposable
{
    public const string Passphrase = "runner passphrase that must never be printed";

    private readonly TempDirectory temp = new();
    private int stepNumber;

    public GitHubRunner()
    {
        Directory.CreateDirectory(Workspace);
        Directory.CreateDirectory(RunnerTemp);
        Directory.CreateDirectory(FileCommands);
    }

    public string Workspace => temp.Combine("workspace");

    public string RunnerTemp => temp.Combine("runner_temp");

    public string FileCommands => temp.Combine("file_commands");

    /// <summary>Everything steps exported through GITHUB_ENV so far (the runner adds it to later steps).</summary>
    public Dictionary<string, string> ExportedEnvironment { get; } = [];

    /// <summary>Runs <c>pipeline-pki ARGS</c> as the step of action <paramref name="actionFile"/> with these inputs.</summary>
    public async Task<GitHubStep> RunStepAsync(string actionFile, IReadOnlyDictionary<string, string> inputs, string[] args, IReadOnlyDictionary<string, string?>? extraEnvironment = null, string? executable = null)
    {
        stepNumber++;
        var step = new GitHubStep(Path.Combine(FileCommands, $"step{stepNumber}"));
        Directory.CreateDirectory(step.Folder);
        foreach (var file in new[] { step.OutputFile, step.EnvFile, step.StateFile, step.SummaryFile })
        {
            File.WriteAllText(file, string.Empty);
        }

        var environment = new Dictionary<string, string?>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["CI"] = "true",
            ["GITHUB_WORKSPACE"] = Workspace,
            ["RUNNER_TEMP"] = RunnerTemp,
            ["HOME"] = temp.Combine("home"),
            ["GITHUB_OUTPUT"] = step.OutputFile,
            ["GITHUB_ENV"] = step.EnvFile,
            ["GITHUB_STATE"] = step.StateFile,
            ["GITHUB_STEP_SUMMARY"] = step.SummaryFile,
            ["GITHUB_REPOSITORY"] = "example/app",
            ["GITHUB_RUN_ID"] = "4242",
            ["GITHUB_RUN_ATTEMPT"] = "1",
            ["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567",
            ["GITHUB_SERVER_URL"] = "https://github.com",
            ["GITHUB_WORKFLOW_REF"] = "example/app/.github/workflows/build.yml@refs/heads/main",
            ["PIPELINE_PKI_CA_PASSPHRASE"] = Passphrase,
        };
        foreach (var (name, value) in ExportedEnvironment)
        {
            environment[name] = value;
        }

        // The runner sets every declared input, defaults included; the step's with: overrides.
        var declared = WrapperTools.LoadYaml(actionFile).Map("inputs")!;
        foreach (var name in declared.Keys())
        {
            environment[Cli.Commands.WrapperInputs.GitHubVariableName(name)] = declared.Map(name)!.Scalar("default") ?? string.Empty;
        }

        foreach (var (name, value) in inputs)
        {
            Assert.True(declared.Keys().Contains(name), $"{actionFile} does not declare input '{name}'");
            environment[Cli.Commands.WrapperInputs.GitHubVariableName(name)] = value;
        }

        foreach (var (name, value) in extraEnvironment ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        var result = await ProcessRunner.RunAsync(executable ?? WrapperTools.Cli, args, Workspace, environment);
        step.Result = result;
        step.Outputs = FileCommandParser.Parse(File.ReadAllText(step.OutputFile));
        step.State = FileCommandParser.Parse(File.ReadAllText(step.StateFile));
        var exported = FileCommandParser.Parse(File.ReadAllText(step.EnvFile));
        foreach (var (name, value) in exported)
        {
            ExportedEnvironment[name] = value;
        }

        // No secret may reach the log, whatever the step did.
        Assert.DoesNotContain(Passphrase, WrapperTools.AsShownByThePlatform(result.Combined), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY-----", result.Combined, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
        return step;
    }

    public void Dispose() => temp.Dispose();
}

public sealed class GitHubStep(string folder)
{
    public string Folder => folder;

    public string OutputFile => Path.Combine(folder, "set_output");

    public string EnvFile => Path.Combine(folder, "set_env");

    public string StateFile => Path.Combine(folder, "save_state");

    public string SummaryFile => Path.Combine(folder, "step_summary");

    public ProcessResult Result { get; set; } = new(-1, string.Empty, string.Empty);

    public IReadOnlyDictionary<string, string> Outputs { get; set; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> State { get; set; } = new Dictionary<string, string>();

    /// <summary>The command (after "pipeline-pki ") of the one "running:" line the entry point prints before it runs it.</summary>
    public string CommandLine
    {
        get
        {
            const string prefix = "pipeline-pki: running: pipeline-pki ";
            var lines = Result.StandardError.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.True(lines.Count == 1, Result.ToString());
            return lines[0][prefix.Length..].Trim();
        }
    }
}

/// <summary>GitHub's file-command format: <c>name=value</c> lines, or <c>name&lt;&lt;DELIMITER</c> … <c>DELIMITER</c>.</summary>
public static class FileCommandParser
{
    public static Dictionary<string, string> Parse(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            var heredoc = line.IndexOf("<<", StringComparison.Ordinal);
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (heredoc > 0 && (equals < 0 || heredoc < equals))
            {
                var name = line[..heredoc];
                var delimiter = line[(heredoc + 2)..];
                var body = new List<string>();
                for (i++; i < lines.Length && lines[i] != delimiter; i++)
                {
                    body.Add(lines[i]);
                }

                Assert.True(i < lines.Length, $"heredoc for {name} is not closed by {delimiter}");
                values[name] = string.Join('\n', body);
            }
            else
            {
                Assert.True(equals > 0, $"not a file command line: {line}");
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }
}
