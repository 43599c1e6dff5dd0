using PipelinePki.TestKit;

namespace PipelinePki.Wrappers.Tests;

/// <summary>
/// Builds the real Dockerfile (CLI_SOURCE=prebuilt: the native AOT binary test.sh published; no SDK
/// image can be pulled here) with podman on a Debian minbase made from this machine's apt mirror,
/// once per run. The base is cached in /var/cache/pipeline-pki by tests/wrappers/container/podman-env.sh.
/// </summary>
public sealed class ContainerImageFixture : IAsyncLifetime
{
    public const string Image = "localhost/pipeline-pki:wrapper-test";

    public static readonly string Script = WrapperTools.Repo("tests", "wrappers", "container", "podman-env.sh");

    public ProcessResult Build { get; private set; } = new(-1, string.Empty, string.Empty);

    public TimeSpan BuildTime { get; private set; }

    /// <summary>The private podman configuration every call uses (runc, cgroupfs, lowered ulimits, own storage).</summary>
    public static Dictionary<string, string?> PodmanEnvironment => new()
    {
        ["CONTAINERS_STORAGE_CONF"] = Path.Combine(WrapperTools.Cache, "podman", "storage.conf"),
        ["CONTAINERS_CONF"] = Path.Combine(WrapperTools.Cache, "podman", "containers.conf"),
    };

    public async Task InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var baseImage = await ProcessRunner.RunAsync("bash", [Script, "make-base"], timeout: TimeSpan.FromMinutes(8));
        if (baseImage.ExitCode != 0)
        {
            Build = baseImage;
            return;
        }

        // The prebuilt path of the Dockerfile copies artifacts/container-cli/ (a build product, never committed).
        var cliFolder = WrapperTools.Repo("artifacts", "container-cli");
        Directory.CreateDirectory(cliFolder);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(WrapperTools.Cli)!).Where(f => Path.GetFileName(f) == "pipeline-pki" || f.EndsWith(".so", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(cliFolder, Path.GetFileName(file)), overwrite: true);
        }

        Build = await ProcessRunner.RunAsync(
            "podman",
            ["build", "--pull=never", "--build-arg", "CLI_SOURCE=prebuilt", "--build-arg", "RUNTIME_IMAGE=localhost/pipeline-pki-test-base:bookworm",
             "-t", Image, "-f", WrapperTools.Repo("Dockerfile"), WrapperTools.RepoRoot],
            environment: PodmanEnvironment,
            timeout: TimeSpan.FromMinutes(5));
        BuildTime = started.Elapsed;
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed class ContainerActionTests(ContainerImageFixture image) : IClassFixture<ContainerImageFixture>
{
    private const string Passphrase = "container passphrase that must never be printed";

    [Fact]
    public async Task Image_Builds_AndRunsTheCliAsItsEntrypoint()
    {
        Assert.True(image.Build.ExitCode == 0, image.Build.ToString());
        var version = await ProcessRunner.RunAsync("podman", ["run", "--rm", "--network=none", ContainerImageFixture.Image, "--version"], environment: ContainerImageFixture.PodmanEnvironment);
        var host = await ProcessRunner.RunAsync(WrapperTools.Cli, ["--version"]);
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Equal(host.StandardOutput, version.StandardOutput);
        Console.WriteLine($"image built in {image.BuildTime.TotalSeconds:F1} s (base cached)");
    }

    [Fact]
    public async Task IssueAction_RunLikeTheRunner_WritesTheCertificateIntoTheWorkspace()
    {
        using var job = await ActionJob.CreateAsync(image);
        var step = await job.RunAsync("issue", new() { ["INPUT_HOME"] = ".pipeline-pki", ["INPUT_NAME"] = "container-build", ["INPUT_OUT"] = "cert", ["INPUT_PROFILE"] = "mtls" });

        Assert.True(step.Result.ExitCode == 0, step.Result.ToString());
        Assert.Contains("pipeline-pki: running: pipeline-pki cert issue --home .pipeline-pki --name container-build --profile mtls --out cert --ci github", step.Result.StandardError, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(job.Workspace, "cert", "fullchain.pem")));
        var verify = await ProcessRunner.RunAsync("openssl", ["verify", "-CAfile", Path.Combine(job.Workspace, "cert", "root.pem"), "-untrusted", Path.Combine(job.Workspace, "cert", "chain.pem"), Path.Combine(job.Workspace, "cert", "cert.pem")]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task PostEntrypoint_OfAVerbWithoutPostStep_ExitsZeroSilently()
    {
        using var job = await ActionJob.CreateAsync(image);
        var step = await job.RunAsync("issue", [], postEntrypoint: true);

        Assert.True(step.Result.ExitCode == 0, step.Result.ToString());
        Assert.Equal(string.Empty, step.Result.StandardOutput + step.Result.StandardError);
    }

    /// <summary>Needs the ci-adapter branch: outputs in GITHUB_OUTPUT, the job summary in GITHUB_STEP_SUMMARY.</summary>
    [Fact]
    public async Task IssueSignVerifyActions_InTheContainer_OutputsAndSummary()
    {
        using var job = await ActionJob.CreateAsync(image);
        Directory.CreateDirectory(Path.Combine(job.Workspace, "dist"));
        await File.WriteAllTextAsync(Path.Combine(job.Workspace, "dist", "app.txt"), "container artifact\n");

        var issue = await job.RunAsync("issue", new() { ["INPUT_HOME"] = ".pipeline-pki", ["INPUT_NAME"] = "container-signer", ["INPUT_PROFILE"] = "code-signing", ["INPUT_OUT"] = "signer" });
        Assert.True(issue.Result.ExitCode == 0, issue.Result.ToString());
        Assert.Contains("serial", issue.Outputs.Keys);
        Assert.Contains("| ", File.ReadAllText(issue.SummaryFile), StringComparison.Ordinal);

        var sign = await job.RunAsync("sign", new() { ["INPUT_FILES"] = "dist/app.txt", ["INPUT_KEY"] = issue.Outputs["keyPath"], ["INPUT_CERT"] = issue.Outputs["fullchainPath"], ["INPUT_HOME"] = ".pipeline-pki", ["INPUT_TIMESTAMP"] = "local" });
        Assert.True(sign.Result.ExitCode == 0, sign.Result.ToString());
        Assert.True(File.Exists(Path.Combine(job.Workspace, "dist", "app.txt.p7s")));

        var verify = await job.RunAsync("verify", new() { ["INPUT_FILES"] = "dist/app.txt", ["INPUT_TRUST"] = issue.Outputs["rootPath"], ["INPUT_REVOCATION"] = "none" });
        Assert.True(verify.Result.ExitCode == 0, verify.Result.ToString());
        Assert.Equal("valid", verify.Outputs["outcome"]);
    }

    /// <summary>Needs the mtls and ci-adapter branches: setup saves mtls_state, the post-entrypoint tears it down.</summary>
    [Fact]
    public async Task MtlsSetupAction_PostEntrypointWithState_TearsDown()
    {
        using var job = await ActionJob.CreateAsync(image);
        var issue = await job.RunAsync("issue", new() { ["INPUT_HOME"] = ".pipeline-pki", ["INPUT_NAME"] = "container-client", ["INPUT_PROFILE"] = "client", ["INPUT_OUT"] = "client" });
        Assert.True(issue.Result.ExitCode == 0, issue.Result.ToString());

        var inputs = new Dictionary<string, string> { ["INPUT_CERT"] = "client/cert.pem", ["INPUT_KEY"] = "client/key.pem", ["INPUT_CA"] = "client/root.pem", ["INPUT_FOR"] = "curl" };
        var setup = await job.RunAsync("mtls-setup", inputs);
        Assert.True(setup.Result.ExitCode == 0, setup.Result.ToString());
        var state = setup.State[Cli.Commands.WrapperInputs.MtlsStateName];

        var post = await job.RunAsync("mtls-setup", new(inputs) { ["STATE_mtls_state"] = state }, postEntrypoint: true);
        Assert.True(post.Result.ExitCode == 0, post.Result.ToString());
        Assert.Contains("running: pipeline-pki mtls teardown --state " + state, post.Result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(job.Home, ".curlrc")));
    }

    /// <summary>One job: workspace, home and file-command folders mounted where the runner mounts them.</summary>
    private sealed class ActionJob : IDisposable
    {
        private readonly TempDirectory temp = new();
        private int steps;

        public string Workspace => temp.Combine("workspace");

        public string Home => temp.Combine("home");

        public string FileCommands => temp.Combine("file_commands");

        public static async Task<ActionJob> CreateAsync(ContainerImageFixture image)
        {
            Assert.True(image.Build.ExitCode == 0, image.Build.ToString());
            var job = new ActionJob();
            Directory.CreateDirectory(job.Workspace);
            Directory.CreateDirectory(job.Home);
            Directory.CreateDirectory(job.FileCommands);
            var init = await ProcessRunner.RunAsync(WrapperTools.Cli, ["ca", "init", "--home", Path.Combine(job.Workspace, ".pipeline-pki"), "--name", "Container CA", "--ci", "none"], job.Workspace, new Dictionary<string, string?> { ["PIPELINE_PKI_CA_PASSPHRASE"] = Passphrase });
            Assert.True(init.ExitCode == 0, init.ToString());
            return job;
        }

        public async Task<GitHubStep> RunAsync(string verb, Dictionary<string, string> variables, bool postEntrypoint = false)
        {
            steps++;
            var step = new GitHubStep(Path.Combine(FileCommands, $"step{steps}"));
            Directory.CreateDirectory(step.Folder);
            foreach (var file in new[] { step.OutputFile, step.EnvFile, step.StateFile, step.SummaryFile })
            {
                File.WriteAllText(file, string.Empty);
            }

            string InContainer(string hostFile) => "/github/file_commands/" + Path.GetRelativePath(FileCommands, hostFile);
            var arguments = new List<string>
            {
                "run", "--rm", "--network=none", "--workdir", "/github/workspace",
                "-v", $"{Workspace}:/github/workspace", "-v", $"{Home}:/github/home", "-v", $"{FileCommands}:/github/file_commands",
                "-e", "HOME=/github/home", "-e", "GITHUB_ACTIONS=true", "-e", "CI=true", "-e", "GITHUB_WORKSPACE=/github/workspace",
                "-e", "RUNNER_TEMP=/github/home/_temp",
                "-e", "GITHUB_OUTPUT=" + InContainer(step.OutputFile), "-e", "GITHUB_ENV=" + InContainer(step.EnvFile),
                "-e", "GITHUB_STATE=" + InContainer(step.StateFile), "-e", "GITHUB_STEP_SUMMARY=" + InContainer(step.SummaryFile),
                "-e", "GITHUB_REPOSITORY=example/app", "-e", "GITHUB_RUN_ID=99", "-e", "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567",
                "-e", "PIPELINE_PKI_CA_PASSPHRASE=" + Passphrase,
            };
            foreach (var (name, value) in variables)
            {
                arguments.Add("-e");
                arguments.Add($"{name}={value}");
            }

            if (postEntrypoint)
            {
                arguments.Add("--entrypoint");
                arguments.Add("/opt/pipeline-pki/" + Cli.Commands.WrapperStepCommand.PostEntrypointName);
            }

            arguments.AddRange([ContainerImageFixture.Image, "github-action", verb]);
            // The passphrase is on podman's own command line here (the runner passes env the same way); the
            // assertion below is about what the CLI prints.
            var result = await ProcessRunner.RunAsync("podman", arguments, environment: ContainerImageFixture.PodmanEnvironment, timeout: TimeSpan.FromMinutes(2));
            Assert.DoesNotContain(Passphrase, WrapperTools.AsShownByThePlatform(result.Combined), StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY-----", result.Combined, StringComparison.Ordinal);
            step.Result = result;
            step.Outputs = FileCommandParser.Parse(File.ReadAllText(step.OutputFile));
            step.State = FileCommandParser.Parse(File.ReadAllText(step.StateFile));
            return step;
        }

        public void Dispose() => temp.Dispose();
    }
}
