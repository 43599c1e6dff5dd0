using System.Security.Cryptography;
using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests.Mtls;

/// <summary>
/// A CA made by the CLI, a server and a client certificate, a private HOME and a state directory,
/// and the environment real clients run in: this machine's GIT_SSL_CAINFO, CURL_CA_BUNDLE,
/// SSL_CERT_FILE, SSL_CERT_DIR (and pip's PIP_CERT) removed, as on a CI runner.
/// </summary>
public sealed class MtlsWorld : IDisposable
{
    /// <summary>Variables this machine exports that beat the tools' config files.</summary>
    public static readonly string[] MachineTrustVariables =
        ["GIT_SSL_CAINFO", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "NIX_SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "PIP_FIND_LINKS", "KUBECONFIG", "MAVEN_OPTS", "DOCKER_CONFIG"];

    private MtlsWorld(CliSession cli)
    {
        Cli = cli;
        Directory.CreateDirectory(Home);
        Cli.Environment["HOME"] = Home;
        foreach (var name in MachineTrustVariables)
        {
            Cli.Environment[name] = null;
        }
    }

    public CliSession Cli { get; }

    public string Home => Cli.PathOf("home");

    public string State => Cli.PathOf("state");

    public string ServerCert => Cli.PathOf("srv", "fullchain.pem");

    public string ServerKey => Cli.PathOf("srv", "key.pem");

    public string Root => Cli.PathOf("srv", "root.pem");

    public string ClientCert => Cli.PathOf("client", "fullchain.pem");

    public string ClientKey => Cli.PathOf("client", "key.pem");

    /// <summary>Both CRLs (intermediate and root): nginx's ssl_crl needs one for every CA in the client's chain.</summary>
    public string Crls => Cli.PathOf("all.crl");

    public static async Task<MtlsWorld> CreateAsync()
    {
        var cli = new CliSession();
        var world = new MtlsWorld(cli);
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "localhost", "--san", "dns:localhost", "--san", "ip:127.0.0.1", "--profile", "server", "--out", cli.PathOf("srv"));
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "pipeline", "--san", "uri:spiffe://e2e.internal/ci", "--profile", "client", "--out", cli.PathOf("client"));
        await world.WriteCrlsAsync();
        return world;
    }

    public async Task WriteCrlsAsync()
    {
        await Cli.RunOkAsync("ca", "crl", "--home", Cli.Home, "--out", Cli.PathOf("int.crl"));
        await Cli.RunOkAsync("ca", "crl", "--home", Cli.Home, "--issuer", "root", "--out", Cli.PathOf("root.crl"));
        await File.WriteAllTextAsync(Crls, await File.ReadAllTextAsync(Cli.PathOf("int.crl")) + await File.ReadAllTextAsync(Cli.PathOf("root.crl")));
    }

    public Task<NginxServer> StartNginxAsync() =>
        NginxServer.StartAsync(Cli.Root, new NginxOptions(ServerCert, ServerKey, ClientCa: Root, ClientCrl: Crls));

    public static string HtmlRoot(CliSession cli) => cli.PathOf("nginx", "html");

    /// <summary>Environment for a real client process: our HOME, none of the machine's trust overrides, plus <paramref name="extra"/>.</summary>
    public Dictionary<string, string?> ClientEnvironment(IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        // RUSTUP_HOME: this machine's Python wakes rustup, which would otherwise create ~/.rustup in the HOME we compare.
        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = Home,
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["RUSTUP_HOME"] = Cli.PathOf("rustup-home"),
        };
        foreach (var name in MachineTrustVariables)
        {
            environment[name] = null;
        }

        foreach (var (name, value) in extra ?? [])
        {
            environment[name] = value;
        }

        return environment;
    }

    public async Task<(ProcessResult Result, JsonDocument Json)> SetupAsync(params string[] arguments)
    {
        var result = await Cli.RunAsync(["mtls", "setup", "--cert", ClientCert, "--key", ClientKey, "--ca", Root, "--state", State, "--format", "json", .. arguments]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return (result, JsonDocument.Parse(result.StandardOutput));
    }

    public async Task<JsonDocument> TeardownAsync()
    {
        var result = await Cli.RunAsync("mtls", "teardown", "--state", State, "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.StandardOutput);
    }

    /// <summary>The exported environment of a setup result, as NAME → VALUE.</summary>
    public static Dictionary<string, string> Exports(JsonDocument setup) =>
        setup.RootElement.GetProperty("environment").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString()!);

    /// <summary>Every file and directory under <paramref name="root"/> with its mode and (for files) content hash.</summary>
    public static SortedDictionary<string, string> Snapshot(string root)
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(root))
        {
            return snapshot;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var mode = File.GetUnixFileMode(entry);
            snapshot[Path.GetRelativePath(root, entry)] = Directory.Exists(entry)
                ? $"dir {mode}"
                : $"file {mode} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry)))}";
        }

        return snapshot;
    }

    public static void AssertSameTree(SortedDictionary<string, string> before, SortedDictionary<string, string> after)
    {
        var added = after.Keys.Except(before.Keys).ToList();
        var removed = before.Keys.Except(after.Keys).ToList();
        var changed = before.Keys.Intersect(after.Keys).Where(k => before[k] != after[k]).ToList();
        Assert.True(added.Count + removed.Count + changed.Count == 0, $"added: {string.Join(", ", added)}; removed: {string.Join(", ", removed)}; changed: {string.Join(", ", changed)}");
    }

    public static Task<ProcessResult> RunAsync(string fileName, Dictionary<string, string?> environment, string? workingDirectory, params string[] arguments) =>
        ProcessRunner.RunAsync(fileName, arguments, workingDirectory, environment, TimeSpan.FromSeconds(90));

    public void Dispose() => Cli.Dispose();
}
