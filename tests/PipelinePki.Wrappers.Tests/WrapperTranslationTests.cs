using PipelinePki.Cli.Commands;
using PipelinePki.Core;

namespace PipelinePki.Wrappers.Tests;

/// <summary>The input → command-line mapping itself, in process (the process tests run it through the binary).</summary>
public sealed class WrapperTranslationTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Translate_GitLabVariables_UnderscoresListsFlagsAndPositionalsAfterDoubleDash()
    {
        var line = WrapperStepCommand.Translate(
            WrapperStepCommand.GitLab,
            "verify",
            ["--dotenv", "pipeline-pki.env"],
            Env(("INPUT_FILES", "dist/a.tar\n\ndist/--odd-name\n"), ("INPUT_TRUST", "root.pem\r\nold-root.pem"), ("INPUT_SOFT_FAIL", "TRUE"), ("INPUT_MANIFEST", "false"), ("INPUT_IDENTITY", "")));

        Assert.Equal(
            ["verify", "--trust", "root.pem", "--trust", "old-root.pem", "--soft-fail", "--ci", "gitlab", "--dotenv", "pipeline-pki.env", "--", "dist/a.tar", "dist/--odd-name"],
            line);
    }

    [Fact]
    public void Translate_GitHubHyphenatedInputs_KeepTheirHyphens()
    {
        var line = WrapperStepCommand.Translate(
            WrapperStepCommand.GitHub,
            "issue",
            [],
            Env(("INPUT_OUT", "cert"), ("INPUT_KEY-TYPE", "ed25519"), ("INPUT_KEY_TYPE", "rsa-3072"), ("INPUT_VAULT-MOUNT", "pki_int")));

        Assert.Equal(["cert", "issue", "--key-type", "ed25519", "--out", "cert", "--mount", "pki_int", "--ci", "github"], line);
    }

    [Fact]
    public void Translate_PostOfMtlsSetup_IsTeardownOfTheSavedState()
    {
        Assert.Equal(
            ["mtls", "teardown", "--state", "/tmp/s", "--ci", "github"],
            WrapperStepCommand.Translate(WrapperStepCommand.GitHub, "post", ["github-action", "mtls-setup"], Env(("STATE_mtls_state", "/tmp/s"))));
        // Setup failed before it saved anything: teardown with the CLI's default state location (idempotent).
        Assert.Equal(["mtls", "teardown", "--ci", "github"], WrapperStepCommand.Translate(WrapperStepCommand.GitHub, "post", ["github-action", "mtls-setup"], Env()));
        Assert.Null(WrapperStepCommand.Translate(WrapperStepCommand.GitHub, "post", ["github-action", "sign"], Env()));
    }

    [Fact]
    public void Translate_RequiredInputEmpty_ThrowsUsageNamingIt()
    {
        var error = Assert.Throws<UsageException>(() => WrapperStepCommand.Translate(WrapperStepCommand.GitLab, "sign", [], Env(("INPUT_KEY", "k.pem"), ("INPUT_CERT", "   "))));
        Assert.Contains("input 'cert' is required by the sign step", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RewriteForPostEntrypoint_OnlyUnderThePostName()
    {
        Assert.Equal(["github-action", "post", "github-action", "mtls-setup"], WrapperStepCommand.RewriteForPostEntrypoint("/opt/pipeline-pki/github-action-post", ["github-action", "mtls-setup"]));
        Assert.Equal(["github-action", "mtls-setup"], WrapperStepCommand.RewriteForPostEntrypoint("/opt/pipeline-pki/pipeline-pki", ["github-action", "mtls-setup"]));
    }
}
