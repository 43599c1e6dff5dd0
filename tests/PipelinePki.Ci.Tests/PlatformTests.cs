using Microsoft.Extensions.Time.Testing;
using PipelinePki.Ci.Platforms;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Ci;

namespace PipelinePki.Ci.Tests;

/// <summary>Each platform's writes, read back the way that platform's runner reads them.</summary>
public sealed class PlatformTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly StringWriter stdout = new();
    private readonly StringWriter stderr = new();
    private readonly Dictionary<string, string> environment = new(StringComparer.Ordinal);
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        temp.Dispose();
        stdout.Dispose();
        stderr.Dispose();
    }

    private ICiPlatform GitHub()
    {
        foreach (var name in new[] { "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE", "GITHUB_STEP_SUMMARY" })
        {
            environment[name] = temp.Combine(name.ToLowerInvariant());
            File.WriteAllText(environment[name], string.Empty);
        }

        return Create(CiPlatformKind.GitHubActions);
    }

    private ICiPlatform Create(CiPlatformKind kind, string? dotenv = null) =>
        CiPlatforms.Create(kind, new CiPlatformContext(name => environment.GetValueOrDefault(name), stdout, stderr, time, dotenv));

    [Fact]
    public void GitHub_Outputs_SingleAndMultiLine_RoundTripThroughTheRunnersFormat()
    {
        var github = GitHub();
        // A value that tries to end a heredoc early and smuggle in another output.
        var hostile = "line one\nEOF\nghadelimiter_\nevil=1\nlast line";
        github.SetOutput("certPath", "/w/out/cert.pem");
        github.SetOutput("signatures", hostile);
        github.SetOutput("empty", string.Empty);

        var outputs = RunnerProtocol.ParseGitHubFile(environment["GITHUB_OUTPUT"]);
        Assert.Equal(3, outputs.Count);
        Assert.Equal("/w/out/cert.pem", outputs["certPath"]);
        Assert.Equal(hostile, outputs["signatures"]);
        Assert.Equal(string.Empty, outputs["empty"]);
        Assert.Matches(@"^signatures<<ghadelimiter_[0-9a-f]{32}$", File.ReadAllLines(environment["GITHUB_OUTPUT"])[1]);
        Assert.Equal(string.Empty, stdout.ToString());
    }

    [Fact]
    public void GitHub_Delimiters_DifferPerValue()
    {
        var first = GitHubActionsPlatform.FormatFileCommand("a", "x\ny");
        var second = GitHubActionsPlatform.FormatFileCommand("a", "x\ny");
        Assert.NotEqual(first.Split('\n')[0], second.Split('\n')[0]);
        Assert.Throws<ArgumentException>(() => GitHubActionsPlatform.FormatFileCommand("a=b", "v"));
    }

    [Fact]
    public void GitHub_SecretOutput_MaskedBeforeItIsWritten_EachLineToo()
    {
        var github = GitHub();
        github.SetOutput("token", "s3cr%t-one\ns3cret-two", secret: true);

        var commands = RunnerProtocol.ParseWorkflowCommands(stderr.ToString());
        Assert.All(commands, c => Assert.Equal("add-mask", c.Name));
        Assert.Equal(["s3cr%t-one\ns3cret-two", "s3cr%t-one", "s3cret-two"], commands.Select(c => c.Data));
        Assert.Equal("s3cr%t-one\ns3cret-two", RunnerProtocol.ParseGitHubFile(environment["GITHUB_OUTPUT"])["token"]);
    }

    [Fact]
    public void GitHub_EnvironmentAndState_GoToTheirOwnFiles()
    {
        var publisher = new CiPublisher(GitHub());
        var state = temp.Combine("mtls-state");
        publisher.PublishMtlsSetup(state, new Dictionary<string, string> { ["SSL_CERT_FILE"] = "/s/ca.pem", ["CURL_HOME"] = "/s/curl" });

        var env = RunnerProtocol.ParseGitHubFile(environment["GITHUB_ENV"]);
        Assert.Equal("/s/ca.pem", env["SSL_CERT_FILE"]);
        Assert.Equal("/s/curl", env["CURL_HOME"]);
        Assert.Equal(state, RunnerProtocol.ParseGitHubFile(environment["GITHUB_STATE"])["mtls_state"]);
        Assert.Equal(state, RunnerProtocol.ParseGitHubFile(environment["GITHUB_OUTPUT"])["mtlsState"]);
        Assert.Contains("| SSL_CERT_FILE | /s/ca.pem |", File.ReadAllText(environment["GITHUB_STEP_SUMMARY"]), StringComparison.Ordinal);
    }

    [Fact]
    public void GitHub_Annotations_EscapePropertiesAndData()
    {
        var github = GitHub();
        github.Annotate(new CiAnnotation(CiAnnotationLevel.Error, "100% broken\nsecond line", "pipeline-pki: sign", "dist/a,b.tar", 3));
        github.Annotate(new CiAnnotation(CiAnnotationLevel.Warning, "expires soon"));

        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("::error file=dist/a%2Cb.tar,line=3,title=pipeline-pki%3A sign::100%25 broken%0Asecond line", lines[0]);
        Assert.Equal("::warning::expires soon", lines[1]);
        var parsed = RunnerProtocol.ParseWorkflowCommands(stderr.ToString());
        Assert.Equal("dist/a,b.tar", parsed[0].Properties["file"]);
        Assert.Equal("100% broken\nsecond line", parsed[0].Data);
    }

    [Fact]
    public void GitHub_FileVariablesMissing_OneNotePerFile_NoException()
    {
        var github = Create(CiPlatformKind.GitHubActions);
        github.SetOutput("a", "1");
        github.SetOutput("b", "2");
        Assert.Single(stderr.ToString().Split('\n'), l => l.Contains("GITHUB_OUTPUT is not set", StringComparison.Ordinal));
    }

    [Fact]
    public void Azure_LoggingCommandsOnStdout_OutputsSecretsAnnotationsSummary()
    {
        environment["AGENT_TEMPDIRECTORY"] = temp.Path;
        var azure = Create(CiPlatformKind.AzurePipelines);
        azure.MaskSecret("pa;ss]word%");
        azure.SetOutput("certPath", "/a/cert.pem");
        azure.SetOutput("signatures", "/a/x.p7s\n/a/y.p7s");
        azure.SetOutput("apiKey", "k", secret: true);
        azure.ExportEnvironment("SSL_CERT_FILE", "/a/ca.pem");
        azure.SaveState("mtls_state", "/a/state");
        azure.Annotate(new CiAnnotation(CiAnnotationLevel.Error, "bad; input]", File: "src/x.cs"));
        azure.WriteSummary(new CiSummary("certificate issued", null, ["A"], [["1"]], []));

        Assert.Equal(string.Empty, stderr.ToString());
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("##vso[task.setsecret]pa;ss]word%AZP25", lines[0]);
        Assert.Equal("##vso[task.setvariable variable=certPath;isOutput=true]/a/cert.pem", lines[1]);
        var commands = RunnerProtocol.ParseAzureCommands(stdout.ToString());
        Assert.Equal("pa;ss]word%", commands[0].Data);
        Assert.Equal("/a/x.p7s\n/a/y.p7s", commands[2].Data);
        Assert.Equal("true", commands[3].Properties["issecret"]);
        Assert.Equal(("task.setvariable", false), (commands[4].Name, commands[4].Properties.ContainsKey("isOutput")));
        Assert.Equal(("task.settaskvariable", "mtls_state", "/a/state"), (commands[5].Name, commands[5].Properties["variable"], commands[5].Data));
        Assert.Equal(("task.logissue", "error", "src/x.cs", "bad; input]"), (commands[6].Name, commands[6].Properties["type"], commands[6].Properties["sourcepath"], commands[6].Data));
        Assert.Equal("task.uploadsummary", commands[7].Name);
        Assert.StartsWith(temp.Path, commands[7].Data, StringComparison.Ordinal);
        Assert.Contains("| 1 |", File.ReadAllText(commands[7].Data), StringComparison.Ordinal);
    }

    [Fact]
    public void GitLab_Dotenv_UpperSnakeKeys_ReplacedNotDuplicated_SecretsNeverWritten()
    {
        var dotenv = temp.Combine("reports", "pipeline-pki.env");
        var gitlab = Create(CiPlatformKind.GitLabCi, dotenv);
        gitlab.SetOutput("certPath", "/old/cert.pem");
        gitlab.SetOutput("certPath", "/g/cert.pem");
        gitlab.SetOutput("fullchainPath", "/g/fullchain.pem");
        gitlab.SetOutput("signatures", "/g/a.p7s\n/g/b.p7s");
        gitlab.SetOutput("token", "glpat-secret", secret: true);
        gitlab.ExportEnvironment("SSL_CERT_FILE", "/g/ca.pem");
        gitlab.MaskSecret("glpat-secret");

        var values = RunnerProtocol.ParseDotenv(dotenv);
        Assert.Equal("/g/cert.pem", values["PIPELINE_PKI_CERT_PATH"]);
        Assert.Equal("/g/fullchain.pem", values["PIPELINE_PKI_FULLCHAIN_PATH"]);
        Assert.Equal("/g/a.p7s /g/b.p7s", values["PIPELINE_PKI_SIGNATURES"]);
        Assert.Equal("/g/ca.pem", values["SSL_CERT_FILE"]);
        Assert.Equal(4, File.ReadAllLines(dotenv).Length);
        Assert.DoesNotContain("glpat-secret", File.ReadAllText(dotenv) + stdout + stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, stdout.ToString());
    }

    [Fact]
    public void GitLab_DotenvFromEnvironmentVariable_AnnotationsColoured_SummaryCollapsible()
    {
        environment[CiPlatforms.DotenvVariable] = temp.Combine("from-env.env");
        var gitlab = Create(CiPlatformKind.GitLabCi);
        gitlab.SetOutput("outcome", "valid");
        gitlab.Annotate(new CiAnnotation(CiAnnotationLevel.Error, "broken"));
        gitlab.Annotate(new CiAnnotation(CiAnnotationLevel.Warning, "soon"));
        gitlab.WriteSummary(new CiSummary("signatures verified", "all good", ["Artifact", "Outcome"], [["app.tar", "valid"]], []));

        Assert.Equal("valid", RunnerProtocol.ParseDotenv(temp.Combine("from-env.env"))["PIPELINE_PKI_OUTCOME"]);
        var log = stderr.ToString();
        Assert.Contains("\e[31;1mERROR: broken\e[0m", log, StringComparison.Ordinal);
        Assert.Contains("\e[33;1mWARNING: soon\e[0m", log, StringComparison.Ordinal);
        var stamp = time.GetUtcNow().ToUnixTimeSeconds();
        Assert.Contains($"\e[0Ksection_start:{stamp}:pipeline_pki_signatures_verified[collapsed=true]\r\e[0Kpipeline-pki: signatures verified\n", log, StringComparison.Ordinal);
        Assert.Contains($"\e[0Ksection_end:{stamp}:pipeline_pki_signatures_verified\r\e[0K\n", log, StringComparison.Ordinal);
        Assert.Contains("app.tar   valid", log, StringComparison.Ordinal);
    }

    [Fact]
    public void None_EmitsNothingAnywhere()
    {
        environment["GITHUB_OUTPUT"] = temp.Combine("out");
        var none = Create(CiPlatformKind.None, temp.Combine("none.env"));
        var publisher = new CiPublisher(none);
        publisher.MaskSecrets(["secret"]);
        publisher.PublishMtlsSetup("/s", new Dictionary<string, string> { ["A"] = "b" });
        none.Annotate(new CiAnnotation(CiAnnotationLevel.Error, "x"));
        none.WriteSummary(new CiSummary("t", null, [], [], []));

        Assert.Equal(string.Empty, stdout.ToString() + stderr);
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
    }

    [Theory]
    [InlineData("certPath", "PIPELINE_PKI_CERT_PATH")]
    [InlineData("fullchainPath", "PIPELINE_PKI_FULLCHAIN_PATH")]
    [InlineData("mtlsState", "PIPELINE_PKI_MTLS_STATE")]
    [InlineData("signedAt", "PIPELINE_PKI_SIGNED_AT")]
    [InlineData("notAfter", "PIPELINE_PKI_NOT_AFTER")]
    [InlineData("outcome", "PIPELINE_PKI_OUTCOME")]
    public void DotenvKey_UpperSnake(string output, string key) => Assert.Equal(key, CiPlatforms.DotenvKey(output));
}
