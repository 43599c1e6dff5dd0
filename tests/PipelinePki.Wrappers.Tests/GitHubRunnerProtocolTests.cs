using PipelinePki.TestKit;

namespace PipelinePki.Wrappers.Tests;

/// <summary>
/// The native AOT binary run the way GitHub's runner runs our docker actions (see <see cref="GitHubRunner"/>):
/// inputs in, one ordinary command run, outputs back through the file commands.
/// </summary>
public sealed class GitHubRunnerProtocolTests
{
    private static string Action(string verb) => WrapperTools.Repo("actions", verb, "action.yml");

    private static async Task InitCaAsync(GitHubRunner runner)
    {
        var init = await ProcessRunner.RunAsync(
            WrapperTools.Cli,
            ["ca", "init", "--home", Path.Combine(runner.Workspace, ".pipeline-pki"), "--name", "Runner CA", "--ci", "none"],
            runner.Workspace,
            new Dictionary<string, string?> { ["PIPELINE_PKI_CA_PASSPHRASE"] = GitHubRunner.Passphrase });
        Assert.True(init.ExitCode == 0, init.ToString());
    }

    [Fact]
    public async Task IssueStep_Inputs_RunExactlyOneCertIssueCommand()
    {
        using var runner = new GitHubRunner();
        await InitCaAsync(runner);

        var step = await runner.RunStepAsync(Action("issue"), new Dictionary<string, string>
        {
            ["home"] = ".pipeline-pki",
            ["name"] = "build-4242",
            ["san"] = "dns:build-4242.ci.example.internal\n  uri:spiffe://example.internal/ci/build  \n",
            ["ttl"] = "1h",
            ["out"] = "cert",
        }, ["github-action", "issue"]);

        Assert.True(step.Result.ExitCode == 0, step.Result.ToString());
        // Defaults the runner filled in (source, profile, key type) are passed on; empty inputs are left out.
        Assert.Equal(
            "cert issue --source local --home .pipeline-pki --name build-4242 --san dns:build-4242.ci.example.internal "
            + "--san uri:spiffe://example.internal/ci/build --profile mtls --ttl 1h --key-type ecdsa-p384 --out cert --ci github",
            step.CommandLine);
        foreach (var file in new[] { "cert.pem", "key.pem", "chain.pem", "fullchain.pem", "root.pem" })
        {
            Assert.True(File.Exists(Path.Combine(runner.Workspace, "cert", file)), file);
        }

        var inspect = await ProcessRunner.RunAsync(WrapperTools.Cli, ["cert", "inspect", Path.Combine(runner.Workspace, "cert", "cert.pem"), "--ci", "none"]);
        Assert.Contains("spiffe://example.internal/ci/build", inspect.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyStep_RequiredInputMissing_OneUsageErrorLineAndExit2()
    {
        using var runner = new GitHubRunner();
        var step = await runner.RunStepAsync(Action("verify"), new Dictionary<string, string> { ["files"] = "dist/app" }, ["github-action", "verify"]);

        Assert.Equal(2, step.Result.ExitCode);
        var error = Assert.Single(step.Result.StandardError.Split('\n'), l => l.StartsWith("pipeline-pki: error:", StringComparison.Ordinal));
        Assert.Contains("input 'trust' is required by the verify step", error, StringComparison.Ordinal);
        Assert.DoesNotContain("pipeline-pki: running:", step.Result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("soft-fail", "yes", "input 'soft-fail' is 'yes'")]
    [InlineData("revocation", "sometimes", "sometimes")]
    public async Task CheckStep_BadInputValue_IsAUsageError(string input, string value, string mentioned)
    {
        using var runner = new GitHubRunner();
        var step = await runner.RunStepAsync(Action("check"), new Dictionary<string, string> { ["targets"] = "cert.pem", [input] = value }, ["github-action", "check"]);

        Assert.Equal(2, step.Result.ExitCode);
        Assert.Contains(mentioned, step.Result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RootAction_UnknownCommand_NamesTheChoices()
    {
        using var runner = new GitHubRunner();
        var step = await runner.RunStepAsync(WrapperTools.Repo("action.yml"), new Dictionary<string, string> { ["command"] = "revoke" }, ["github-action", "revoke"]);

        Assert.Equal(2, step.Result.ExitCode);
        Assert.Contains("use one of: issue, sign, verify, check, mtls-setup", step.Result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEntrypoint_AfterAVerbWithoutPostStep_DoesNothing()
    {
        using var runner = new GitHubRunner();
        // The image links the binary as github-action-post; the runner passes it the main step's args.
        var post = Path.Combine(runner.RunnerTemp, "github-action-post");
        File.CreateSymbolicLink(post, WrapperTools.Cli);

        var step = await runner.RunStepAsync(Action("issue"), new Dictionary<string, string>(), ["github-action", "issue"], executable: post);

        Assert.True(step.Result.ExitCode == 0, step.Result.ToString());
        Assert.Equal(string.Empty, step.Result.StandardOutput);
        Assert.Equal(string.Empty, step.Result.StandardError);
        Assert.False(Directory.Exists(Path.Combine(runner.Workspace, "pipeline-pki-cert")));
    }

    /// <summary>Needs the ci-adapter branch: the CLI writes GITHUB_OUTPUT/STATE/STEP_SUMMARY itself.</summary>
    [Fact]
    public async Task IssueSignVerify_OutputsFlowThroughFileCommands()
    {
        using var runner = new GitHubRunner();
        await InitCaAsync(runner);
        Directory.CreateDirectory(Path.Combine(runner.Workspace, "dist"));
        await File.WriteAllTextAsync(Path.Combine(runner.Workspace, "dist", "app.txt"), "release 1.0\n");

        var issue = await runner.RunStepAsync(Action("issue"), new Dictionary<string, string>
        {
            ["home"] = ".pipeline-pki", ["name"] = "release-signer", ["profile"] = "code-signing", ["out"] = "signer",
        }, ["github-action", "issue"]);
        Assert.True(issue.Result.ExitCode == 0, issue.Result.ToString());
        foreach (var name in GitHubActionFileTests.OutputContract["issue"])
        {
            Assert.True(issue.Outputs.ContainsKey(name), $"output {name} missing:\n{File.ReadAllText(issue.OutputFile)}");
        }

        Assert.Matches("^[0-9A-Fa-f]+$", issue.Outputs["serial"]);
        Assert.NotEqual(0, new FileInfo(issue.SummaryFile).Length);

        var sign = await runner.RunStepAsync(Action("sign"), new Dictionary<string, string>
        {
            ["files"] = "dist/app.txt", ["key"] = issue.Outputs["keyPath"], ["cert"] = issue.Outputs["fullchainPath"], ["home"] = ".pipeline-pki", ["timestamp"] = "local",
        }, ["github-action", "sign"]);
        Assert.True(sign.Result.ExitCode == 0, sign.Result.ToString());
        Assert.Contains("app.txt.p7s", sign.Outputs["signatures"], StringComparison.Ordinal);

        var verify = await runner.RunStepAsync(Action("verify"), new Dictionary<string, string>
        {
            ["files"] = "dist/app.txt", ["trust"] = issue.Outputs["rootPath"], ["revocation"] = "none",
        }, ["github-action", "verify"]);
        Assert.True(verify.Result.ExitCode == 0, verify.Result.ToString());
        Assert.Equal("valid", verify.Outputs["outcome"]);
        Assert.Contains("release-signer", verify.Outputs["signer"], StringComparison.Ordinal);
    }

    /// <summary>Needs the mtls branch (mtls setup/teardown) and the ci-adapter branch (GITHUB_STATE mtls_state).</summary>
    [Fact]
    public async Task MtlsSetup_ThenPostEntrypoint_TearsDownWhatSetupSaved()
    {
        using var runner = new GitHubRunner();
        await InitCaAsync(runner);
        var issue = await runner.RunStepAsync(Action("issue"), new Dictionary<string, string>
        {
            ["home"] = ".pipeline-pki", ["name"] = "mtls-client", ["profile"] = "client", ["out"] = "client",
        }, ["github-action", "issue"]);
        Assert.True(issue.Result.ExitCode == 0, issue.Result.ToString());

        var setup = await runner.RunStepAsync(Action("mtls-setup"), new Dictionary<string, string>
        {
            ["cert"] = "client/cert.pem", ["key"] = "client/key.pem", ["ca"] = "client/root.pem", ["for"] = "curl\nenv",
        }, ["github-action", "mtls-setup"]);
        Assert.True(setup.Result.ExitCode == 0, setup.Result.ToString());
        var state = setup.State[Cli.Commands.WrapperInputs.MtlsStateName];
        Assert.Equal(state, setup.Outputs["mtlsState"]);
        Assert.True(Directory.Exists(state), state);

        var post = Path.Combine(runner.RunnerTemp, "github-action-post");
        File.CreateSymbolicLink(post, WrapperTools.Cli);
        var teardown = await runner.RunStepAsync(Action("mtls-setup"), new Dictionary<string, string>
        {
            ["cert"] = "client/cert.pem", ["key"] = "client/key.pem", ["for"] = "curl\nenv",
        }, ["github-action", "mtls-setup"], new Dictionary<string, string?> { ["STATE_mtls_state"] = state }, post);

        Assert.True(teardown.Result.ExitCode == 0, teardown.Result.ToString());
        Assert.StartsWith("mtls teardown --state " + state, teardown.CommandLine, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(runner.Workspace, "..", "home", ".curlrc")), "curlrc left behind");
    }
}
