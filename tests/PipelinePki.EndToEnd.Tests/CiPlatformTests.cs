using System.Text.Json;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Ci;
using PipelinePki.TestKit.Http;

namespace PipelinePki.EndToEnd.Tests;

/// <summary>
/// The AOT binary in a faithful runner environment per platform: GitHub's file commands in a temp
/// dir (a fresh set per step, as the runner does), Azure's stdout logging commands, GitLab's
/// dotenv report. Each scenario runs issue → sign → verify with the outputs parsed back and fed
/// to the next step the way that platform passes them.
/// </summary>
public sealed class CiPlatformTests : IDisposable
{
    private const string Passphrase = "ci passphrase that only a mask line may carry";
    private readonly TempDirectory temp = new();
    private int step;

    public void Dispose() => temp.Dispose();

    private string Home => temp.Combine("ca");

    private Dictionary<string, string?> BaseEnvironment() => new()
    {
        ["PIPELINE_PKI_CA_PASSPHRASE"] = Passphrase,
        ["GITHUB_REPOSITORY"] = "acme/widgets",
        ["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567",
    };

    private sealed record GitHubStep(ProcessResult Result, Dictionary<string, string> Outputs, Dictionary<string, string> Env, Dictionary<string, string> State, string Summary, string FilesText);

    /// <summary>One step as the GitHub runner runs it: fresh file-command files, GITHUB_ACTIONS=true.</summary>
    private async Task<GitHubStep> GitHubAsync(Dictionary<string, string?>? extra, params string[] args)
    {
        var dir = temp.Combine($"runner-{++step}");
        Directory.CreateDirectory(dir);
        var environment = BaseEnvironment();
        environment["GITHUB_ACTIONS"] = "true";
        foreach (var name in new[] { "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE", "GITHUB_STEP_SUMMARY" })
        {
            environment[name] = Path.Combine(dir, name.ToLowerInvariant());
            File.WriteAllText(environment[name]!, string.Empty);
        }

        foreach (var (key, value) in extra ?? [])
        {
            environment[key] = value;
        }

        var result = await CliProcess.RunAsync(environment, temp.Path, args);
        var files = string.Concat(new[] { "github_output", "github_env", "github_state", "github_step_summary" }.Select(f => File.ReadAllText(Path.Combine(dir, f))));
        AssertSecretsOnlyInMasks(result, files, "::add-mask::");
        return new GitHubStep(
            result,
            RunnerProtocol.ParseGitHubFile(environment["GITHUB_OUTPUT"]!),
            RunnerProtocol.ParseGitHubFile(environment["GITHUB_ENV"]!),
            RunnerProtocol.ParseGitHubFile(environment["GITHUB_STATE"]!),
            File.ReadAllText(environment["GITHUB_STEP_SUMMARY"]!),
            files);
    }

    /// <summary>
    /// The secret may appear only in the platform's mask registration, and that registration is the
    /// first thing the process wrote; key material appears nowhere.
    /// </summary>
    private static void AssertSecretsOnlyInMasks(ProcessResult result, string writtenFiles, string maskPrefix, params string[] secrets)
    {
        foreach (var secret in secrets.Append(Passphrase))
        {
            var streams = new[] { result.StandardOutput, result.StandardError };
            foreach (var stream in streams)
            {
                var lines = stream.Split('\n');
                var maskIndex = Array.FindIndex(lines, l => l.StartsWith(maskPrefix, StringComparison.Ordinal) && l.Contains(secret, StringComparison.Ordinal));
                for (var i = 0; i < lines.Length; i++)
                {
                    if (i != maskIndex)
                    {
                        Assert.False(lines[i].Contains(secret, StringComparison.Ordinal), $"secret outside its mask line:\n{result}");
                    }
                }

                if (maskIndex >= 0)
                {
                    // Every line before the mask is another mask: nothing the step says can precede it.
                    Assert.All(lines.Take(maskIndex), l => Assert.StartsWith(maskPrefix, l, StringComparison.Ordinal));
                }
            }

            Assert.DoesNotContain(secret, writtenFiles, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("PRIVATE KEY-----", result.Combined + writtenFiles, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
    }

    private async Task<ProcessResult> PlainAsync(params string[] args)
    {
        var result = await CliProcess.RunAsync(BaseEnvironment(), temp.Path, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private async Task ArtifactsAsync()
    {
        await PlainAsync("ca", "init", "--home", Home, "--name", "CI E2E");
        await File.WriteAllBytesAsync(temp.Combine("app.tar"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000));
        await File.WriteAllTextAsync(temp.Combine("notes.txt"), "release notes\n");
    }

    [Fact]
    public async Task GitHub_IssueSignVerifyCheck_OutputsFlowThroughFileCommands_MaskFirst()
    {
        await ArtifactsAsync();

        var issue = await GitHubAsync(null, "cert", "issue", "--home", Home, "--name", "release", "--profile", "code-signing",
            "--san", "uri:spiffe://ci.e2e/release", "--out", temp.Combine("signer"), "--format", "json");
        Assert.True(issue.Result.ExitCode == 0, issue.Result.ToString());
        Assert.Equal($"::add-mask::{Passphrase}", issue.Result.StandardError.Split('\n')[0]);
        using (var json = JsonDocument.Parse(issue.Result.StandardOutput))
        {
            // --format json: stdout is still exactly the one document; the workflow commands went to stderr.
            Assert.Equal(json.RootElement.GetProperty("serial").GetString(), issue.Outputs["serial"]);
        }

        Assert.Equal(["certPath", "keyPath", "chainPath", "fullchainPath", "rootPath", "serial", "notAfter", "fingerprint"], issue.Outputs.Keys);
        Assert.All(new[] { "certPath", "keyPath", "chainPath", "fullchainPath", "rootPath" }, k => Assert.True(File.Exists(issue.Outputs[k]), k));
        Assert.True(DateTimeOffset.Parse(issue.Outputs["notAfter"], System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddHours(23));
        Assert.Contains("### pipeline-pki: certificate issued", issue.Summary, StringComparison.Ordinal);
        Assert.Contains("```mermaid\ngantt", issue.Summary, StringComparison.Ordinal);

        var sign = await GitHubAsync(null, "sign", temp.Combine("app.tar"), temp.Combine("notes.txt"),
            "--key", issue.Outputs["keyPath"], "--cert", issue.Outputs["fullchainPath"], "--home", Home);
        Assert.True(sign.Result.ExitCode == 0, sign.Result.ToString());
        var signatures = sign.Outputs["signatures"].Split('\n');
        Assert.Equal(4, signatures.Length);
        Assert.All(signatures, s => Assert.True(File.Exists(s), s));
        Assert.Contains(sign.FilesText.Split('\n'), l => l.StartsWith("signatures<<ghadelimiter_", StringComparison.Ordinal));
        Assert.Contains("| Artifact | Digest | CMS signature | Sigstore bundle | Timestamp |", sign.Summary, StringComparison.Ordinal);

        var artifacts = signatures.Where(s => s.EndsWith(".p7s", StringComparison.Ordinal)).Select(s => s[..^".p7s".Length]).ToArray();
        var verify = await GitHubAsync(null, ["verify", .. artifacts, "--trust", issue.Outputs["rootPath"], "--revocation", "none", "--format", "json"]);
        Assert.True(verify.Result.ExitCode == 0, verify.Result.ToString());
        Assert.Equal("valid", verify.Outputs["outcome"]);
        Assert.Contains("CN=release", verify.Outputs["signer"], StringComparison.Ordinal);
        // Two artifacts, each timestamped on its own: one line per distinct time, each an ISO 8601 UTC instant.
        Assert.All(verify.Outputs["signedAt"].Split('\n'), t => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", t));
        JsonDocument.Parse(verify.Result.StandardOutput).Dispose();

        var certVerify = await GitHubAsync(null, "cert", "verify", issue.Outputs["certPath"], "--trust", issue.Outputs["rootPath"], "--untrusted", issue.Outputs["chainPath"],
            "--purpose", "code-signing", "--revocation", "none");
        Assert.Equal("valid", certVerify.Outputs["outcome"]);
        Assert.Contains("section path", certVerify.Summary, StringComparison.Ordinal);

        var check = await GitHubAsync(null, "cert", "check", issue.Outputs["fullchainPath"], "--trust", issue.Outputs["rootPath"],
            "--min-remaining", "1h", "--warn-remaining", "48h", "--revocation", "none");
        Assert.True(check.Result.ExitCode == 0, check.Result.ToString());
        Assert.Equal(("valid", "1"), (check.Outputs["outcome"], check.Outputs["expiring"]));
        var warning = RunnerProtocol.ParseWorkflowCommands(check.Result.StandardError).Single(c => c.Name == "warning");
        Assert.Equal("pipeline-pki", warning.Properties["title"]);
        Assert.Contains(issue.Outputs["fullchainPath"], warning.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitHub_Error_BecomesAnErrorAnnotation_ExitCodeUnchanged()
    {
        var result = await GitHubAsync(null, "verify", temp.Combine("missing.tar"), "--trust", temp.Combine("nope.pem"), "--format", "json");

        Assert.Equal(3, result.Result.ExitCode);
        var lines = result.Result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Array.FindIndex(lines, l => l.StartsWith("pipeline-pki: error: ", StringComparison.Ordinal));
        Assert.True(error >= 0, result.Result.ToString());
        Assert.Equal($"::error title=pipeline-pki::{lines[error]["pipeline-pki: error: ".Length..]}", lines[error + 1]);
        using var json = JsonDocument.Parse(result.Result.StandardOutput);
        Assert.Equal(3, json.RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task CiNone_InAGitHubEnvironment_EmitsNothingPlatformSpecific()
    {
        await ArtifactsAsync();
        var issue = await GitHubAsync(null, "--ci", "none", "cert", "issue", "--home", Home, "--name", "x", "--out", temp.Combine("o"));
        var failed = await GitHubAsync(null, "--ci", "none", "verify", temp.Combine("missing.tar"), "--trust", temp.Combine("nope.pem"));

        Assert.Equal(0, issue.Result.ExitCode);
        Assert.Equal(3, failed.Result.ExitCode);
        foreach (var run in new[] { issue, failed })
        {
            Assert.Equal(string.Empty, run.FilesText);
            Assert.DoesNotContain("::", run.Result.Combined, StringComparison.Ordinal);
            Assert.DoesNotContain("##vso[", run.Result.Combined, StringComparison.Ordinal);
        }
    }

    private async Task<(ProcessResult Result, List<WorkflowCommand> Commands, Dictionary<string, string> Outputs)> AzureAsync(params string[] args)
    {
        var environment = BaseEnvironment();
        environment["TF_BUILD"] = "True";
        environment["AGENT_TEMPDIRECTORY"] = temp.Combine("agent-temp");
        Directory.CreateDirectory(environment["AGENT_TEMPDIRECTORY"]!);
        var result = await CliProcess.RunAsync(environment, temp.Path, args);
        AssertSecretsOnlyInMasks(result, string.Empty, "##vso[task.setsecret]");
        var commands = RunnerProtocol.ParseAzureCommands(result.StandardOutput);
        var outputs = commands.Where(c => c.Name == "task.setvariable" && c.Properties.GetValueOrDefault("isOutput") == "true")
            .ToDictionary(c => c.Properties["variable"], c => c.Data);
        return (result, commands, outputs);
    }

    /// <summary>What a consumer of --format json on Azure does: the logging commands are lines of their own.</summary>
    private static JsonDocument JsonWithoutLoggingCommands(string stdout) =>
        JsonDocument.Parse(string.Join('\n', stdout.Split('\n').Where(l => !l.StartsWith("##vso[", StringComparison.Ordinal))));

    [Fact]
    public async Task Azure_IssueSignVerify_OutputVariablesOnStdout_SecretFirst_ErrorsAsLogIssues()
    {
        await ArtifactsAsync();
        var issue = await AzureAsync("cert", "issue", "--home", Home, "--name", "release", "--profile", "code-signing", "--out", temp.Combine("signer"), "--format", "json");
        Assert.True(issue.Result.ExitCode == 0, issue.Result.ToString());
        Assert.Equal($"##vso[task.setsecret]{Passphrase}", issue.Result.StandardOutput.Split('\n')[0]);
        using (var json = JsonWithoutLoggingCommands(issue.Result.StandardOutput))
        {
            Assert.Equal(json.RootElement.GetProperty("notAfter").GetDateTimeOffset(), DateTimeOffset.Parse(issue.Outputs["notAfter"], System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(["certPath", "keyPath", "chainPath", "fullchainPath", "rootPath", "serial", "notAfter", "fingerprint"], issue.Outputs.Keys);
        var summary = issue.Commands.Single(c => c.Name == "task.uploadsummary").Data;
        Assert.Contains("| Subject |", File.ReadAllText(summary), StringComparison.Ordinal);
        Assert.DoesNotContain("##vso", issue.Result.StandardError, StringComparison.Ordinal);

        var sign = await AzureAsync("sign", temp.Combine("app.tar"), temp.Combine("notes.txt"), "--key", issue.Outputs["keyPath"], "--cert", issue.Outputs["fullchainPath"], "--home", Home);
        Assert.True(sign.Result.ExitCode == 0, sign.Result.ToString());
        var signatures = sign.Outputs["signatures"].Split('\n');
        Assert.Equal(4, signatures.Length);

        var artifacts = signatures.Where(s => s.EndsWith(".p7s", StringComparison.Ordinal)).Select(s => s[..^".p7s".Length]).ToArray();
        var verify = await AzureAsync(["verify", .. artifacts, "--trust", issue.Outputs["rootPath"], "--revocation", "none"]);
        Assert.True(verify.Result.ExitCode == 0, verify.Result.ToString());
        Assert.Equal("valid", verify.Outputs["outcome"]);
        Assert.Contains("CN=release", verify.Outputs["signer"], StringComparison.Ordinal);

        var failed = await AzureAsync("verify", temp.Combine("missing.tar"), "--trust", issue.Outputs["rootPath"]);
        Assert.Equal(3, failed.Result.ExitCode);
        var issueCommand = failed.Commands.Single(c => c.Name == "task.logissue");
        Assert.Equal("error", issueCommand.Properties["type"]);
        Assert.Contains("missing.tar", issueCommand.Data, StringComparison.Ordinal);
    }

    private async Task<(ProcessResult Result, Dictionary<string, string> Dotenv)> GitLabAsync(string dotenv, params string[] args)
    {
        var environment = BaseEnvironment();
        environment["GITLAB_CI"] = "true";
        var result = await CliProcess.RunAsync(environment, temp.Path, ["--dotenv", dotenv, .. args]);
        AssertSecretsOnlyInMasks(result, File.Exists(dotenv) ? File.ReadAllText(dotenv) : string.Empty, "\u0001never");
        return (result, File.Exists(dotenv) ? RunnerProtocol.ParseDotenv(dotenv) : []);
    }

    [Fact]
    public async Task GitLab_IssueSignVerify_ThroughDotenvReports_ErrorsHighlighted()
    {
        await ArtifactsAsync();
        var issue = await GitLabAsync(temp.Combine("issue.env"), "cert", "issue", "--home", Home, "--name", "release", "--profile", "code-signing", "--out", temp.Combine("signer"), "--format", "json");
        Assert.True(issue.Result.ExitCode == 0, issue.Result.ToString());
        JsonDocument.Parse(issue.Result.StandardOutput).Dispose();
        Assert.Equal(
            ["PIPELINE_PKI_CERT_PATH", "PIPELINE_PKI_KEY_PATH", "PIPELINE_PKI_CHAIN_PATH", "PIPELINE_PKI_FULLCHAIN_PATH", "PIPELINE_PKI_ROOT_PATH", "PIPELINE_PKI_SERIAL", "PIPELINE_PKI_NOT_AFTER", "PIPELINE_PKI_FINGERPRINT"],
            issue.Dotenv.Keys);
        Assert.Contains("section_start:", issue.Result.StandardError, StringComparison.Ordinal);

        var sign = await GitLabAsync(temp.Combine("sign.env"), "sign", temp.Combine("app.tar"), temp.Combine("notes.txt"),
            "--key", issue.Dotenv["PIPELINE_PKI_KEY_PATH"], "--cert", issue.Dotenv["PIPELINE_PKI_FULLCHAIN_PATH"], "--home", Home);
        Assert.True(sign.Result.ExitCode == 0, sign.Result.ToString());
        // GitLab's dotenv has no multi-line values: the list is one line of space-separated paths.
        var signatures = sign.Dotenv["PIPELINE_PKI_SIGNATURES"].Split(' ');
        Assert.Equal(4, signatures.Length);

        var artifacts = signatures.Where(s => s.EndsWith(".p7s", StringComparison.Ordinal)).Select(s => s[..^".p7s".Length]).ToArray();
        var verify = await GitLabAsync(temp.Combine("verify.env"), ["verify", .. artifacts, "--trust", issue.Dotenv["PIPELINE_PKI_ROOT_PATH"], "--revocation", "none"]);
        Assert.True(verify.Result.ExitCode == 0, verify.Result.ToString());
        Assert.Equal("valid", verify.Dotenv["PIPELINE_PKI_OUTCOME"]);

        var failed = await GitLabAsync(temp.Combine("failed.env"), "verify", temp.Combine("missing.tar"), "--trust", issue.Dotenv["PIPELINE_PKI_ROOT_PATH"]);
        Assert.Equal(3, failed.Result.ExitCode);
        Assert.Contains("\e[31;1mERROR: ", failed.Result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("\e[", failed.Result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishGitHubRelease_AotBinaryAgainstGhesStandIn_AssetsCheckRunOutputs_TokenMasked()
    {
        const string token = "ghs_e2eTokenThatMustOnlyBeMasked";
        await using var github = await GitHubStandIn.StartAsync(token);
        github.AddRelease("v1.0.0", "app.tar.p7s");
        await File.WriteAllBytesAsync(temp.Combine("app.tar.p7s"), [9, 9, 9]);
        await File.WriteAllTextAsync(temp.Combine("verify.json"), """{"isValid": true, "artifacts": [{"file": "app.tar", "isValid": true, "signer": "CN=release", "checks": []}]}""");

        var run = await GitHubAsync(new Dictionary<string, string?> { ["GITHUB_TOKEN"] = token },
            "publish", "github-release", "--tag", "v1.0.0", temp.Combine("app.tar.p7s"), "--api-url", github.ApiUrl.AbsoluteUri,
            "--replace", "--check-run", "pipeline-pki verify", "--outcome-file", temp.Combine("verify.json"), "--format", "json");

        Assert.True(run.Result.ExitCode == 0, run.Result.ToString());
        AssertSecretsOnlyInMasks(run.Result, run.FilesText, "::add-mask::", token);
        Assert.Equal($"::add-mask::{token}", run.Result.StandardError.Split('\n')[0]);
        Assert.Equal(new byte[] { 9, 9, 9 }, github.AssetsOf("v1.0.0")["app.tar.p7s"]);
        Assert.Contains(github.Requests, r => r.Method == "DELETE");
        var check = github.Requests.Single(r => r.PathAndQuery.EndsWith("/check-runs", StringComparison.Ordinal));
        Assert.Contains("\"conclusion\":\"success\"", check.BodyText, StringComparison.Ordinal);
        Assert.Contains("\"head_sha\":\"0123456789abcdef0123456789abcdef01234567\"", check.BodyText, StringComparison.Ordinal);
        Assert.Equal("https://github.example/acme/widgets/releases/tag/v1.0.0", run.Outputs["releaseUrl"]);
        using var json = JsonDocument.Parse(run.Result.StandardOutput);
        Assert.True(json.RootElement.GetProperty("assets")[0].GetProperty("replaced").GetBoolean());

        var refused = await GitHubAsync(new Dictionary<string, string?> { ["GITHUB_TOKEN"] = "ghs_wrong" },
            "publish", "github-release", "--tag", "v1.0.0", temp.Combine("app.tar.p7s"), "--api-url", github.ApiUrl.AbsoluteUri);
        Assert.Equal(6, refused.Result.ExitCode);
        Assert.Contains("::error title=pipeline-pki::GitHub answered 401", refused.Result.StandardError, StringComparison.Ordinal);
        AssertSecretsOnlyInMasks(refused.Result, refused.FilesText, "::add-mask::", "ghs_wrong");
    }
}
