using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

/// <summary>pipeline-pki as git's gpg.x509.program, driven by real git: commit -S, tag -s, verify-commit, verify-tag.</summary>
public class GitSigningTests
{
    private static async Task<string> ProgramAsync(CliSession cli)
    {
        var (fileName, prefix) = CliProcess.Command();
        if (prefix.Length == 0)
        {
            return fileName;
        }

        // git runs gpg.x509.program without a shell: wrap "dotnet pipeline-pki.dll" in a script.
        var wrapper = cli.PathOf("pipeline-pki-git");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {fileName} {string.Join(' ', prefix)} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return wrapper;
    }

    private static Task<ProcessResult> GitAsync(CliSession cli, Dictionary<string, string?> environment, params string[] arguments) =>
        ProcessRunner.RunAsync("git", arguments, cli.PathOf("repo"), environment);

    [Fact]
    public async Task CommitAndTag_SignedWithPipelineCertificate_GitVerifiesAndRejectsOtherRoots()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "ci-bot", "--profile", "code-signing", "--san", "email:ci@example.internal", "--out", cli.PathOf("id"));
        await cli.RunOkAsync("ca", "init", "--home", cli.PathOf("other-ca"), "--name", "Other", "--no-passphrase");
        var program = await ProgramAsync(cli);
        Directory.CreateDirectory(cli.PathOf("repo"));
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = cli.Root,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["PIPELINE_PKI_HOME"] = cli.Home,
            ["PIPELINE_PKI_GIT_TRUST"] = cli.PathOf("id", "root.pem"),
            ["PIPELINE_PKI_GIT_REVOCATION"] = "none",
            ["PIPELINE_PKI_CA_PASSPHRASE"] = null,
        };
        foreach (var config in new[] { "init -q .", "config user.name ci", "config user.email ci@example.internal", "config gpg.format x509" })
        {
            Assert.Equal(0, (await GitAsync(cli, environment, config.Split(' '))).ExitCode);
        }

        await GitAsync(cli, environment, "config", "gpg.x509.program", program);
        await GitAsync(cli, environment, "config", "user.signingkey", cli.PathOf("id"));
        await File.WriteAllTextAsync(cli.PathOf("repo", "file.txt"), "signed content\n");
        await GitAsync(cli, environment, "add", "file.txt");

        var commit = await GitAsync(cli, environment, "commit", "-q", "-S", "-m", "signed by the pipeline");
        Assert.True(commit.ExitCode == 0, commit.ToString());
        var raw = await GitAsync(cli, environment, "cat-file", "-p", "HEAD");
        Assert.Contains("gpgsig -----BEGIN SIGNED MESSAGE-----", raw.StandardOutput, StringComparison.Ordinal);

        var verify = await GitAsync(cli, environment, "verify-commit", "-v", "HEAD");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Good signature from \"CN=ci-bot\"", verify.StandardError, StringComparison.Ordinal);

        var tag = await GitAsync(cli, environment, "tag", "-s", "v1.0.0", "-m", "release");
        Assert.True(tag.ExitCode == 0, tag.ToString());
        var verifyTag = await GitAsync(cli, environment, "verify-tag", "v1.0.0");
        Assert.True(verifyTag.ExitCode == 0, verifyTag.ToString());

        // The signature does not chain to a root the verifier was told to trust: git refuses it.
        var otherRoot = new Dictionary<string, string?>(environment) { ["PIPELINE_PKI_GIT_TRUST"] = Path.Combine(cli.PathOf("other-ca"), "root.pem") };
        var refused = await GitAsync(cli, otherRoot, "verify-commit", "HEAD");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("BAD signature", refused.StandardError, StringComparison.Ordinal);

        var noTrust = new Dictionary<string, string?>(environment) { ["PIPELINE_PKI_GIT_TRUST"] = null };
        var unconfigured = await GitAsync(cli, noTrust, "verify-commit", "HEAD");
        Assert.NotEqual(0, unconfigured.ExitCode);
        Assert.Contains("PIPELINE_PKI_GIT_TRUST", unconfigured.StandardError, StringComparison.Ordinal);

        // A tampered commit (content changed, signature kept) is rejected.
        var tampered = raw.StandardOutput.Replace("signed by the pipeline", "signed by someone else", StringComparison.Ordinal);
        var forged = await ProcessRunner.RunAsync("git", ["hash-object", "-t", "commit", "-w", "--stdin"], cli.PathOf("repo"), environment, standardInput: tampered);
        var forgedCheck = await GitAsync(cli, environment, "verify-commit", forged.StandardOutput.Trim());
        Assert.NotEqual(0, forgedCheck.ExitCode);
    }
}
