using System.Text.RegularExpressions;
using PipelinePki.Cli.Commands;
using PipelinePki.TestKit;
using YamlDotNet.RepresentationModel;

namespace PipelinePki.Wrappers.Tests;

/// <summary>
/// The components and their self-test pipeline, run by gitlab-ci-local (GitLab's schema, include
/// resolution, input interpolation and validation, and the jobs themselves on the shell executor).
/// </summary>
public sealed partial class GitLabComponentTests
{
    private static readonly string[] Verbs = ["issue", "sign", "verify", "check", "mtls-setup"];

    // Job-level inputs every component has, which are not CLI inputs.
    private static readonly string[] JobInputs = ["stage", "image"];

    // GitHub fetches its OIDC token by audience; on GitLab the job's id_tokens entry does (id-token-audience).
    private static readonly string[] GitHubOnlyInputs = ["oidc-audience"];

    [Fact]
    public void Components_DeclareTheEntryPointInputsAndRunOneLine()
    {
        foreach (var verb in WrapperInputs.Verbs)
        {
            var documents = WrapperTools.LoadYamlDocuments(WrapperTools.Repo("gitlab-components", "templates", verb.Name + ".yml"));
            Assert.Equal(2, documents.Count);
            var inputs = documents[0].Map("spec")!.Map("inputs")!;
            var cliInputs = verb.Inputs.Concat(WrapperInputs.Common).Select(i => i.Name).Except(GitHubOnlyInputs).ToList();
            var expected = JobInputs.Concat(cliInputs).Concat(verb.Name == "issue" ? ["id-token-audience"] : []).Order(StringComparer.Ordinal);
            Assert.Equal(expected, inputs.Keys().Order(StringComparer.Ordinal));
            foreach (var name in inputs.Keys())
            {
                Assert.False(string.IsNullOrWhiteSpace(inputs.Map(name)!.Scalar("description")), $"{verb.Name}.{name} has no description");
            }

            var job = documents[1].Map("pipeline-pki-" + verb.Name)!;
            Assert.Equal("$[[ inputs.stage ]]", job.Scalar("stage"));
            Assert.Equal("$[[ inputs.image ]]", job.Map("image")!.Scalar("name"));
            var variables = job.Map("variables")!;
            Assert.Equal(cliInputs.Select(WrapperInputs.GitLabVariableName).Order(StringComparer.Ordinal), variables.Keys().Order(StringComparer.Ordinal));
            foreach (var name in cliInputs)
            {
                Assert.Equal($"$[[ inputs.{name} ]]", variables.Scalar(WrapperInputs.GitLabVariableName(name)));
            }

            var script = Assert.Single(((YamlSequenceNode)job.Children[new YamlScalarNode("script")]).Children);
            Assert.Equal($"pipeline-pki gitlab-component {verb.Name} --dotenv pipeline-pki.env", ((YamlScalarNode)script).Value);
            Assert.Equal("pipeline-pki.env", job.Map("artifacts")!.Map("reports")!.Scalar("dotenv"));
            Assert.Equal(verb.Name == "issue", job.Map("id_tokens")?.Map("PIPELINE_PKI_ID_TOKEN") is not null);
        }
    }

    [Fact]
    public void SelfTest_IncludesEveryComponentFromThisCommitAndPassesOnlyDeclaredInputs()
    {
        var (violations, includes) = CheckIncludes(WrapperTools.LoadYaml(WrapperTools.Repo("gitlab-components", ".gitlab-ci.yml")));
        Assert.True(violations.Count == 0, string.Join('\n', violations));
        Assert.Equal(Verbs.Order(StringComparer.Ordinal), includes.Order(StringComparer.Ordinal));
        foreach (var line in File.ReadAllLines(WrapperTools.Repo("gitlab-components", ".gitlab-ci.yml")).Where(l => l.Contains("component:", StringComparison.Ordinal)))
        {
            Assert.Matches(@"component: \$CI_SERVER_FQDN/\$CI_PROJECT_PATH/[a-z-]+@\$CI_COMMIT_SHA$", line.Trim());
        }
    }

    [Fact]
    public void IncludeCheck_UndeclaredOrMissingRequiredInput_IsReported()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader("""
            include:
              - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/verify@$CI_COMMIT_SHA
                inputs:
                  files: dist/app
                  trusted: root.pem
            """));
        var (violations, includes) = CheckIncludes((YamlMappingNode)stream.Documents[0].RootNode);
        Assert.Equal(["verify"], includes);
        Assert.Contains(violations, v => v.Contains("'trusted'", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("'trust' is required", StringComparison.Ordinal));
        Assert.Equal(2, violations.Count);
    }

    [Fact]
    public async Task GitlabCiLocal_ListAndPreview_ValidateAndInterpolateTheSelfTest()
    {
        using var project = await CatalogProject.CreateAsync();
        var list = await project.RunAsync("--list");
        Assert.True(list.ExitCode == 0, list.ToString());
        foreach (var job in new[] { "prepare", "pipeline-pki-issue", "pipeline-pki-sign", "pipeline-pki-verify", "pipeline-pki-check", "outputs" })
        {
            Assert.Matches($@"(?m)^{Regex.Escape(job)}\s", list.StandardOutput);
        }

        var preview = await project.RunAsync("--preview");
        Assert.True(preview.ExitCode == 0, preview.ToString());
        var jobs = new YamlStream();
        jobs.Load(new StringReader(preview.StandardOutput[preview.StandardOutput.IndexOf("---", StringComparison.Ordinal)..].Replace("---\n", string.Empty, StringComparison.Ordinal)));
        var rendered = (YamlMappingNode)jobs.Documents[0].RootNode;
        var issue = rendered.Map("pipeline-pki-issue")!;
        Assert.Equal("issue", issue.Scalar("stage"));
        Assert.Equal("self-test-build", issue.Map("variables")!.Scalar("INPUT_NAME"));
        Assert.Equal("code-signing", issue.Map("variables")!.Scalar("INPUT_PROFILE"));
        Assert.Equal("ecdsa-p384", issue.Map("variables")!.Scalar("INPUT_KEY_TYPE"));
        Assert.Equal("false", issue.Map("variables")!.Scalar("INPUT_VERBOSE"));
        Assert.Equal("pipeline-pki", issue.Map("id_tokens")!.Map("PIPELINE_PKI_ID_TOKEN")!.Scalar("aud"));
        Assert.Equal("$PIPELINE_PKI_ROOT_PATH", rendered.Map("pipeline-pki-verify")!.Map("variables")!.Scalar("INPUT_TRUST"));
        Assert.DoesNotContain("$[[", preview.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("issue", "profile", "bogus", "profile")]
    [InlineData("issue", "ttl", "one hour", "ttl")]
    [InlineData("verify", "soft-fail", "maybe", "soft-fail")]
    [InlineData("verify", "trust", null, "trust")]
    public async Task GitlabCiLocal_BadComponentInput_IsRefused(string component, string input, string? value, string mentioned)
    {
        using var project = await CatalogProject.CreateAsync(ci =>
        {
            var include = ((YamlSequenceNode)ci.Children[new YamlScalarNode("include")]).Children.OfType<YamlMappingNode>()
                .Single(i => i.Scalar("component")!.Contains($"/{component}@", StringComparison.Ordinal)).Map("inputs")!;
            if (value is null)
            {
                include.Children.Remove(new YamlScalarNode(input));
            }
            else
            {
                include.Children[new YamlScalarNode(input)] = new YamlScalarNode(value);
            }
        });

        var result = await project.RunAsync("--list");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(mentioned, result.Combined, StringComparison.Ordinal);
    }

    /// <summary>Needs the ci-adapter branch: `--dotenv` writes the outputs the later jobs read.</summary>
    [Fact]
    public async Task GitlabCiLocal_SelfTestOnTheShellExecutor_IssueMtlsSetupSignVerifyCheckThroughDotenv()
    {
        using var project = await CatalogProject.CreateAsync();
        var result = await project.RunAsync("--force-shell-executor", "--no-color");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("running: pipeline-pki cert issue", result.Combined, StringComparison.Ordinal);
        Assert.Contains("running: pipeline-pki mtls setup", result.Combined, StringComparison.Ordinal);
        Assert.Contains("running: pipeline-pki verify", result.Combined, StringComparison.Ordinal);
        Assert.Matches(@"mtls client certificate \S+", result.Combined);
        Assert.Matches(@"issued [0-9A-Fa-f]+, verified valid", result.Combined);
        Assert.True(File.Exists(Path.Combine(project.Folder, ".gitlab-ci-local", "artifacts", "pipeline-pki-sign", "dist", "app.txt.p7s"))
            || Directory.EnumerateFiles(Path.Combine(project.Folder, ".gitlab-ci-local"), "app.txt.p7s", SearchOption.AllDirectories).Any());
    }

    internal static (List<string> Violations, List<string> Components) CheckIncludes(YamlMappingNode pipeline)
    {
        var violations = new List<string>();
        var components = new List<string>();
        foreach (var include in ((YamlSequenceNode)pipeline.Children[new YamlScalarNode("include")]).Children.OfType<YamlMappingNode>())
        {
            var match = ComponentReference().Match(include.Scalar("component") ?? string.Empty);
            if (!match.Success)
            {
                continue;
            }

            var verb = match.Groups["verb"].Value;
            components.Add(verb);
            var spec = WrapperTools.LoadYamlDocuments(WrapperTools.Repo("gitlab-components", "templates", verb + ".yml"))[0].Map("spec")!.Map("inputs")!;
            var given = include.Map("inputs").Keys().ToList();
            violations.AddRange(given.Where(k => !spec.Keys().Contains(k)).Select(k => $"{verb}: input '{k}' is not declared"));
            violations.AddRange(spec.Keys().Where(k => spec.Map(k)?.Children.ContainsKey(new YamlScalarNode("default")) is false && !given.Contains(k))
                .Select(k => $"{verb}: input '{k}' is required"));
        }

        return (violations, components);
    }

    [GeneratedRegex(@"/(?<verb>[a-z-]+)@[^/]+$")]
    private static partial Regex ComponentReference();

    /// <summary>
    /// A throwaway clone of the catalog project: gitlab-components/ as the root of a git repository
    /// whose origin names the project path, so `component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/x@$CI_COMMIT_SHA`
    /// resolves to this commit's templates, as on GitLab.
    /// </summary>
    private sealed class CatalogProject : IDisposable
    {
        private readonly TempDirectory temp = new();

        public string Folder => temp.Combine("components");

        public static async Task<CatalogProject> CreateAsync(Action<YamlMappingNode>? editPipeline = null)
        {
            var project = new CatalogProject();
            CopyDirectory(WrapperTools.Repo("gitlab-components"), project.Folder);
            if (editPipeline is not null)
            {
                var path = Path.Combine(project.Folder, ".gitlab-ci.yml");
                var stream = new YamlStream();
                using (var reader = new StreamReader(path))
                {
                    stream.Load(reader);
                }

                editPipeline((YamlMappingNode)stream.Documents[0].RootNode);
                using var writer = new StreamWriter(path);
                stream.Save(writer, assignAnchors: false);
            }

            // pipeline-pki on PATH for the shell executor, as the image provides it.
            Directory.CreateDirectory(project.temp.Combine("bin"));
            File.CreateSymbolicLink(project.temp.Combine("bin", "pipeline-pki"), WrapperTools.Cli);
            foreach (var git in new[]
            {
                new[] { "init", "-q", "-b", "main" },
                ["remote", "add", "origin", "https://gitlab.example.com/pipeline-pki/components.git"],
                ["add", "-A"],
                ["-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "components"],
                ["update-ref", "refs/remotes/origin/main", "HEAD"],
                ["symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"],
            })
            {
                var result = await ProcessRunner.RunAsync("git", git, project.Folder);
                Assert.True(result.ExitCode == 0, result.ToString());
            }

            return project;
        }

        public async Task<ProcessResult> RunAsync(params string[] arguments) =>
            await WrapperTools.NodeAsync(
                22,
                WrapperTools.Tool("gitlab-ci-local", "dist", "index.js"),
                arguments,
                Folder,
                new Dictionary<string, string?>
                {
                    ["PATH"] = temp.Combine("bin") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
                    ["HOME"] = temp.Path,
                },
                TimeSpan.FromMinutes(4));

        public void Dispose() => temp.Dispose();

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
    }
}
