using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelinePki.TestKit;

namespace PipelinePki.Wrappers.Tests;

/// <summary>Builds the .vsix once (azure-pipelines-tasks/build.sh with the real tfx) for the tests that need it.</summary>
public sealed class AzureExtensionFixture : IAsyncLifetime
{
    public string OutputDirectory { get; } = Path.Combine(WrapperTools.RepoRoot, "artifacts", "test", "azure");

    public string Stage => Path.Combine(OutputDirectory, "extension");

    public ProcessResult Build { get; private set; } = new(-1, string.Empty, string.Empty);

    public TimeSpan BuildTime { get; private set; }

    public async Task InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        Build = await ProcessRunner.RunAsync(
            "bash",
            [WrapperTools.Repo("azure-pipelines-tasks", "build.sh"), Path.GetDirectoryName(WrapperTools.Cli)!, OutputDirectory],
            environment: new Dictionary<string, string?> { ["TFX"] = Path.Combine(WrapperTools.ToolModules, ".bin", "tfx") },
            timeout: TimeSpan.FromMinutes(4));
        BuildTime = started.Elapsed;
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed partial class AzureTaskTests(AzureExtensionFixture extension) : IClassFixture<AzureExtensionFixture>
{
    private const string Passphrase = "azure passphrase that must never be printed";

    private static readonly string[] TaskFolders =
        ["PipelinePkiInstallerV1", "PipelinePkiIssueV1", "PipelinePkiSignV1", "PipelinePkiVerifyV1", "PipelinePkiCheckV1", "PipelinePkiMtlsSetupV1"];

    private static readonly Dictionary<string, string> VerbOfTask = new()
    {
        ["PipelinePkiIssueV1"] = "issue", ["PipelinePkiSignV1"] = "sign", ["PipelinePkiVerifyV1"] = "verify",
        ["PipelinePkiCheckV1"] = "check", ["PipelinePkiMtlsSetupV1"] = "mtls-setup",
    };

    // The input types Azure Pipelines accepts in task.json (the task schema's enumeration, plus connectedService:*).
    private static readonly HashSet<string> InputTypes =
        ["string", "multiLine", "boolean", "pickList", "radio", "filePath", "secureFile", "int", "identities", "querycontrol"];

    [Fact]
    public void TaskJson_EveryTask_FollowsTheTaskRules()
    {
        var ids = new HashSet<string>();
        foreach (var folder in TaskFolders)
        {
            var path = WrapperTools.Repo("azure-pipelines-tasks", folder, "task.json");
            var problems = TaskJsonProblems(JsonNode.Parse(File.ReadAllText(path))!.AsObject(), Path.GetDirectoryName(path)!);
            Assert.True(problems.Count == 0, $"{folder}:\n{string.Join('\n', problems)}");
            Assert.True(ids.Add(JsonNode.Parse(File.ReadAllText(path))!["id"]!.GetValue<string>()), $"{folder} reuses a GUID");
        }
    }

    [Fact]
    public void TaskJson_Broken_IsCaughtByTheRules()
    {
        var task = JsonNode.Parse(File.ReadAllText(WrapperTools.Repo("azure-pipelines-tasks", "PipelinePkiIssueV1", "task.json")))!.AsObject();
        task["id"] = "not-a-guid";
        task["name"] = "Pipeline Pki Issue";
        task["friendlyName"] = "PipelinePki: issue a short-lived certificate now";
        task["inputs"]!.AsArray().Add(new JsonObject { ["name"] = "colour", ["type"] = "colour", ["label"] = "Colour" });
        task["outputVariables"]!.AsArray().Add(new JsonObject { ["name"] = "cert-path" });
        task["execution"] = new JsonObject { ["Node10"] = new JsonObject { ["target"] = "missing.js" } };

        var problems = TaskJsonProblems(task, WrapperTools.Repo("azure-pipelines-tasks", "PipelinePkiIssueV1"));

        Assert.Contains(problems, p => p.Contains("id", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("friendlyName", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("colour", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("cert-path", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Node20_1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("missing.js", StringComparison.Ordinal));
    }

    [Fact]
    public void Shims_MapExactlyTheTaskInputsAndTheOutputsAreTheContract()
    {
        foreach (var (folder, verb) in VerbOfTask)
        {
            var task = JsonNode.Parse(File.ReadAllText(WrapperTools.Repo("azure-pipelines-tasks", folder, "task.json")))!;
            var inputs = task["inputs"]!.AsArray().Select(i => i!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
            var shim = File.ReadAllText(WrapperTools.Repo("azure-pipelines-tasks", folder, "index.js"));
            var rows = ShimRow().Matches(shim).Select(m => (Input: m.Groups["input"].Value, Option: m.Groups["option"].Value)).ToList();
            Assert.Equal(inputs, rows.Select(r => r.Input).Order(StringComparer.Ordinal));

            // The same CLI options as the GitHub/GitLab table, input for input (Azure names are camelCase).
            var table = Cli.Commands.WrapperInputs.Find(verb)!.Inputs.Concat(Cli.Commands.WrapperInputs.Common).ToList();
            foreach (var (input, option) in rows)
            {
                var match = table.SingleOrDefault(t => Camel(t.Name) == input);
                Assert.True(match is not null, $"{folder}: {input} has no counterpart in WrapperInputs");
                Assert.Equal(match!.Shape == Cli.Commands.InputShape.Arguments ? string.Empty : match.Option, option);
            }

            Assert.Contains($"run({JsonSerializer.Serialize(Cli.Commands.WrapperInputs.Find(verb)!.Command).Replace('"', '\'')}", shim.Replace(", '", ",'", StringComparison.Ordinal), StringComparison.Ordinal);
            var outputs = task["outputVariables"]!.AsArray().Select(o => o!["name"]!.GetValue<string>());
            Assert.Equal(GitHubActionFileTests.OutputContract[verb].Order(StringComparer.Ordinal), outputs.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Tfx_PackagesTheExtensionWithZeroWarningsUnder25MB()
    {
        Assert.True(extension.Build.ExitCode == 0, extension.Build.ToString());
        var vsix = Path.Combine(extension.OutputDirectory, "pipeline-pki.vsix");
        var size = new FileInfo(vsix).Length;
        Assert.InRange(size, 1_000_000, 25L * 1024 * 1024 - 1);
        var log = File.ReadAllText(Path.Combine(extension.OutputDirectory, "tfx.log"));
        Assert.DoesNotContain("warn", log, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Completed operation: create extension", log, StringComparison.Ordinal);

        // The CLI ships once, in the installer; every task carries its shim and the task library.
        using var zip = System.IO.Compression.ZipFile.OpenRead(vsix);
        var names = zip.Entries.Select(e => e.FullName).ToList();
        Assert.Single(names, n => n.EndsWith("/pipeline-pki", StringComparison.Ordinal));
        Assert.Contains("PipelinePkiInstallerV1/bin/linux-x64/pipeline-pki", names);
        foreach (var folder in VerbOfTask.Keys)
        {
            Assert.Contains($"{folder}/pipeline-pki-task.js", names);
            Assert.Contains($"{folder}/node_modules/azure-pipelines-task-lib/task.js", names);
        }

        Console.WriteLine($"vsix {size / 1024.0 / 1024.0:F1} MB, built in {extension.BuildTime.TotalSeconds:F0} s");
    }

    [Fact]
    public async Task Tfx_BrokenTaskJson_FailsTheBuild()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("azure-pipelines-tasks");
        CopyDirectory(WrapperTools.Repo("azure-pipelines-tasks"), source);
        var taskJson = Path.Combine(source, "PipelinePkiCheckV1", "task.json");
        var task = JsonNode.Parse(File.ReadAllText(taskJson))!.AsObject();
        task["friendlyName"] = new string('x', 41);
        File.WriteAllText(taskJson, task.ToJsonString());

        Assert.True(extension.Build.ExitCode == 0, extension.Build.ToString());
        var result = await ProcessRunner.RunAsync(
            "bash",
            [Path.Combine(source, "build.sh"), Path.GetDirectoryName(WrapperTools.Cli)!, temp.Combine("out")],
            environment: new Dictionary<string, string?>
            {
                ["TFX"] = Path.Combine(WrapperTools.ToolModules, ".bin", "tfx"),
                // The task library the fixture installed: no second npm ci.
                ["PIPELINE_PKI_TASK_DEPS"] = Path.Combine(extension.OutputDirectory, "task-deps"),
            },
            timeout: TimeSpan.FromMinutes(4));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("friendlyName is a required string <= 40 chars", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(24)]
    public async Task MockTestRunner_InstallerThenIssue_RunTheRealBinary(int node)
    {
        using var agent = new TempDirectory();
        var path = await InstallAsync(node, agent);
        await InitCaAsync(agent);

        var issue = await RunTaskAsync("PipelinePkiIssueV1", node, agent, path, new()
        {
            ["INPUT_HOME"] = "ca", ["INPUT_NAME"] = "azure-build", ["INPUT_PROFILE"] = "code-signing", ["INPUT_TTL"] = "1h",
            ["INPUT_KEYTYPE"] = "ecdsa-p256", ["INPUT_OUT"] = "signer", ["INPUT_SOURCE"] = "local", ["INPUT_CIIDENTITY"] = "false",
        });

        Assert.True(issue.Succeeded, issue.ToString());
        var ran = Assert.Single(issue.Ran);
        Assert.EndsWith("pipeline-pki cert issue --source local --home ca --name azure-build --profile code-signing --ttl 1h --key-type ecdsa-p256 --out signer --ci azure", ran, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(agent.Path, "signer", "cert.pem")));
        Assert.True(File.Exists(Path.Combine(agent.Path, "signer", "key.pem")));
    }

    [Fact]
    public async Task MockTestRunner_RequiredInputMissing_FailsBeforeRunningTheCli()
    {
        using var agent = new TempDirectory();
        var path = await InstallAsync(20, agent);
        var verify = await RunTaskAsync("PipelinePkiVerifyV1", 20, agent, path, new() { ["INPUT_FILES"] = "dist/app" });

        Assert.False(verify.Succeeded);
        Assert.Empty(verify.Ran);
        // task-lib reports it as an error issue: "Input required: trust".
        Assert.Contains(verify.ErrorIssues, e => e.Contains("trust", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MockTestRunner_CliFailure_FailsTheTaskWithItsExitCode()
    {
        using var agent = new TempDirectory();
        var path = await InstallAsync(24, agent);
        var check = await RunTaskAsync("PipelinePkiCheckV1", 24, agent, path, new() { ["INPUT_TARGETS"] = "no-such-cert.pem", ["INPUT_REVOCATION"] = "none" });

        Assert.False(check.Succeeded);
        Assert.Single(check.Ran);
        Assert.Contains("pipeline-pki: error:", check.Stdout + check.Stderr, StringComparison.Ordinal);
        Assert.Contains(check.ErrorIssues, e => e.Contains("pipeline-pki exited with 3", StringComparison.Ordinal));
    }

    /// <summary>issue → mtls setup → sign → verify, each task reading the ##vso output variables the CLI set in the one before.</summary>
    [Theory]
    [InlineData(20)]
    [InlineData(24)]
    public async Task MockTestRunner_IssueMtlsSetupSignVerify_ThroughOutputVariables(int node)
    {
        using var agent = new TempDirectory();
        var path = await InstallAsync(node, agent);
        await InitCaAsync(agent);
        Directory.CreateDirectory(Path.Combine(agent.Path, "dist"));
        await File.WriteAllTextAsync(Path.Combine(agent.Path, "dist", "app.txt"), "azure artifact\n");

        var issue = await RunTaskAsync("PipelinePkiIssueV1", node, agent, path, new()
        {
            ["INPUT_HOME"] = "ca", ["INPUT_NAME"] = "azure-signer", ["INPUT_PROFILE"] = "code-signing", ["INPUT_OUT"] = "signer",
        });
        Assert.True(issue.Succeeded, issue.ToString());
        var outputs = issue.OutputVariables();
        foreach (var name in GitHubActionFileTests.OutputContract["issue"])
        {
            Assert.True(outputs.ContainsKey(name), $"no output variable {name}:\n{issue.Stdout}");
        }

        // mtls setup with the issued certificate: its state directory is an output variable and the
        // client-certificate variables are set (##vso[task.setvariable]) for every later task of the job.
        var mtls = await RunTaskAsync("PipelinePkiMtlsSetupV1", node, agent, path, new()
        {
            ["INPUT_CERT"] = outputs["fullchainPath"], ["INPUT_KEY"] = outputs["keyPath"], ["INPUT_CA"] = outputs["rootPath"], ["INPUT_FOR"] = "env", ["INPUT_STATE"] = "mtls-state",
        });
        Assert.True(mtls.Succeeded, mtls.ToString());
        var state = mtls.OutputVariables()["mtlsState"];
        Assert.True(Path.IsPathRooted(state) && state.EndsWith("mtls-state", StringComparison.Ordinal) && File.Exists(Path.Combine(state, "manifest.json")), state);
        var clientCert = Regex.Match(mtls.Stdout, @"##vso\[task\.setvariable variable=PIPELINE_PKI_CLIENT_CERT[^\]]*\](?<path>[^\r\n]+)");
        Assert.True(clientCert.Success, mtls.Stdout);
        Assert.True(File.Exists(clientCert.Groups["path"].Value), clientCert.Groups["path"].Value);

        var sign = await RunTaskAsync("PipelinePkiSignV1", node, agent, path, new()
        {
            ["INPUT_FILES"] = "dist/app.txt", ["INPUT_KEY"] = outputs["keyPath"], ["INPUT_CERT"] = outputs["fullchainPath"], ["INPUT_HOME"] = "ca", ["INPUT_TIMESTAMP"] = "local",
        });
        Assert.True(sign.Succeeded, sign.ToString());
        Assert.Contains("app.txt.p7s", sign.OutputVariables()["signatures"], StringComparison.Ordinal);

        var verify = await RunTaskAsync("PipelinePkiVerifyV1", node, agent, path, new()
        {
            ["INPUT_FILES"] = "dist/app.txt", ["INPUT_TRUST"] = outputs["rootPath"], ["INPUT_REVOCATION"] = "none",
        });
        Assert.True(verify.Succeeded, verify.ToString());
        Assert.Equal("valid", verify.OutputVariables()["outcome"]);
    }

    private async Task<string> InstallAsync(int node, TempDirectory agent)
    {
        Assert.True(extension.Build.ExitCode == 0, extension.Build.ToString());
        var install = await RunTaskAsync("PipelinePkiInstallerV1", node, agent, Environment.GetEnvironmentVariable("PATH")!, []);
        Assert.True(install.Succeeded, install.ToString());
        Assert.StartsWith($"v{node}.", install.NodeVersion, StringComparison.Ordinal);
        // The agent prepends what ##vso[task.prependpath] names to PATH for the later tasks.
        var prepend = Regex.Match(install.Stdout, @"##vso\[task\.prependpath\](?<dir>[^\r\n]+)");
        Assert.True(prepend.Success, install.Stdout);
        Assert.Equal(Path.Combine(extension.Stage, "PipelinePkiInstallerV1", "bin", "linux-x64"), prepend.Groups["dir"].Value);
        Assert.Contains("variable=pipelinePkiPath;isOutput=true", install.Stdout, StringComparison.Ordinal);
        return prepend.Groups["dir"].Value + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
    }

    private static async Task InitCaAsync(TempDirectory agent)
    {
        var init = await ProcessRunner.RunAsync(WrapperTools.Cli, ["ca", "init", "--home", Path.Combine(agent.Path, "ca"), "--name", "Azure CA", "--ci", "none"], agent.Path, new Dictionary<string, string?> { ["PIPELINE_PKI_CA_PASSPHRASE"] = Passphrase });
        Assert.True(init.ExitCode == 0, init.ToString());
    }

    private async Task<TaskRun> RunTaskAsync(string folder, int node, TempDirectory agent, string path, Dictionary<string, string?> inputs)
    {
        var environment = new Dictionary<string, string?>
        {
            ["WRAPPER_TOOLS"] = WrapperTools.ToolModules,
            ["PATH"] = path,
            ["TF_BUILD"] = "True",
            ["AGENT_TEMPDIRECTORY"] = agent.Path,
            ["SYSTEM_DEFAULTWORKINGDIRECTORY"] = agent.Path,
            ["BUILD_REPOSITORY_NAME"] = "example/app",
            ["BUILD_BUILDID"] = "77",
            ["BUILD_SOURCEVERSION"] = "0123456789abcdef0123456789abcdef01234567",
            ["PIPELINE_PKI_CA_PASSPHRASE"] = Passphrase,
        };
        foreach (var (name, value) in inputs)
        {
            environment[name] = value;
        }

        var result = await ProcessRunner.RunAsync(
            WrapperTools.Node(20),
            [WrapperTools.Repo("tests", "wrappers", "azure", "run-task.cjs"), Path.Combine(extension.Stage, folder), node.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            agent.Path,
            environment,
            TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = JsonNode.Parse(result.StandardOutput)!;
        var run = new TaskRun(
            json["succeeded"]!.GetValue<bool>(),
            json["stdout"]!.GetValue<string>(),
            json["stderr"]!.GetValue<string>(),
            json["errorIssues"]!.AsArray().Select(e => e!.GetValue<string>()).ToList(),
            json["ran"]!.AsArray().Select(e => e!.GetValue<string>()).ToList(),
            (await ProcessRunner.RunAsync(json["node"]!.GetValue<string>(), ["--version"])).StandardOutput.Trim());
        Assert.DoesNotContain(Passphrase, WrapperTools.AsShownByThePlatform(run.Stdout + run.Stderr), StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY-----", run.Stdout + run.Stderr, StringComparison.Ordinal);
        return run;
    }

    /// <summary>The rules Azure DevOps applies to task.json (CI-WRAPPERS.md), stricter than tfx's warnings.</summary>
    internal static List<string> TaskJsonProblems(JsonObject task, string folder)
    {
        var problems = new List<string>();
        string? Text(string key) => task[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (!Guid.TryParseExact(Text("id") ?? string.Empty, "D", out _))
        {
            problems.Add("id must be a GUID");
        }

        if (!Regex.IsMatch(Text("name") ?? string.Empty, "^[A-Za-z0-9-]+$"))
        {
            problems.Add("name must match ^[A-Za-z0-9-]+$");
        }

        if (Text("friendlyName") is not { Length: > 0 and <= 40 })
        {
            problems.Add("friendlyName must be 1-40 characters");
        }

        foreach (var key in new[] { "instanceNameFormat", "description", "author", "category" })
        {
            if (string.IsNullOrWhiteSpace(Text(key)))
            {
                problems.Add($"{key} is required");
            }
        }

        var version = task["version"];
        if (version?["Major"] is null || version["Minor"] is null || version["Patch"] is null)
        {
            problems.Add("version needs Major, Minor, Patch");
        }

        var names = new HashSet<string>();
        foreach (var input in task["inputs"]?.AsArray() ?? [])
        {
            var name = input!["name"]?.GetValue<string>() ?? string.Empty;
            var type = input["type"]?.GetValue<string>() ?? string.Empty;
            if (!names.Add(name) || !Regex.IsMatch(name, "^[A-Za-z][A-Za-z0-9]*$"))
            {
                problems.Add($"input '{name}': names must be unique identifiers");
            }

            if (!InputTypes.Contains(type) && !type.StartsWith("connectedService:", StringComparison.Ordinal))
            {
                problems.Add($"input '{name}': unknown type '{type}'");
            }

            if (string.IsNullOrWhiteSpace(input["label"]?.GetValue<string>()))
            {
                problems.Add($"input '{name}': label is required");
            }

            if (type == "pickList" && input["options"] is not JsonObject { Count: > 0 })
            {
                problems.Add($"input '{name}': a pickList needs options");
            }

            if (type == "boolean" && input["defaultValue"]?.GetValue<string>() is not ("true" or "false"))
            {
                problems.Add($"input '{name}': a boolean needs defaultValue true or false");
            }
        }

        // instanceNameFormat may only refer to inputs that exist.
        foreach (Match reference in Regex.Matches(Text("instanceNameFormat") ?? string.Empty, @"\$\((?<name>[^)]+)\)"))
        {
            if (!names.Contains(reference.Groups["name"].Value))
            {
                problems.Add($"instanceNameFormat refers to unknown input '{reference.Groups["name"].Value}'");
            }
        }

        foreach (var output in task["outputVariables"]?.AsArray() ?? [])
        {
            var name = output!["name"]?.GetValue<string>() ?? string.Empty;
            if (!Regex.IsMatch(name, "^[A-Za-z][A-Za-z0-9]*$"))
            {
                problems.Add($"output variable '{name}' must match ^[A-Za-z][A-Za-z0-9]*$");
            }
        }

        var execution = task["execution"] as JsonObject;
        foreach (var handler in new[] { "Node20_1", "Node24" })
        {
            if (execution?[handler]?["target"]?.GetValue<string>() is not { } target)
            {
                problems.Add($"execution.{handler} is required");
            }
            else if (!File.Exists(Path.Combine(folder, target)))
            {
                problems.Add($"execution.{handler}.target {target} does not exist");
            }
        }

        foreach (var (handler, value) in execution ?? [])
        {
            if (value?["target"]?.GetValue<string>() is { } target && !File.Exists(Path.Combine(folder, target)))
            {
                problems.Add($"execution.{handler}.target {target} does not exist");
            }
        }

        return problems;
    }

    private static string Camel(string kebab)
    {
        var parts = kebab.Split('-');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }

    // ['input', '--option', 'shape'...] rows of a shim's mapping table.
    [GeneratedRegex(@"^\s*\['(?<input>[A-Za-z0-9]+)', '(?<option>[^']*)', '(?<shape>value|lines|flag|args)'", RegexOptions.Multiline)]
    private static partial Regex ShimRow();
}

public sealed record TaskRun(bool Succeeded, string Stdout, string Stderr, IReadOnlyList<string> ErrorIssues, IReadOnlyList<string> Ran, string NodeVersion)
{
    /// <summary>Output variables as the agent reads them: ##vso[task.setvariable variable=NAME;isOutput=true;…]VALUE.</summary>
    public Dictionary<string, string> OutputVariables() =>
        Regex.Matches(Stdout, @"##vso\[task\.setvariable variable=(?<name>[^;\]]+)(?<props>[^\]]*)\](?<value>[^\r\n]*)")
            .Where(m => m.Groups["props"].Value.Contains("isOutput=true", StringComparison.OrdinalIgnoreCase))
            .GroupBy(m => m.Groups["name"].Value)
            .ToDictionary(g => g.Key, g => g.Last().Groups["value"].Value);

    public override string ToString() => $"succeeded {Succeeded}\nran: {string.Join("\n", Ran)}\nissues: {string.Join("\n", ErrorIssues)}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
