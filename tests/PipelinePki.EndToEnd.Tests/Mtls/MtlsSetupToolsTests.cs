using System.Text.Json;
using System.Xml.Linq;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests.Mtls;

/// <summary>npm, pip, kubectl, a JSSE client, NuGet's PKCS#12, helm's repositories.yaml and the env variables, each used by the real tool against nginx.</summary>
public class MtlsSetupToolsTests
{
    private const string NpmToken = "npm_SECRETTOKEN_must_never_be_printed_0123456789";

    [Fact]
    public async Task SetupEveryFileTool_RealClientsPresentTheCertificate_TeardownRestoresHome()
    {
        using var world = await MtlsWorld.CreateAsync();
        await using var nginx = await world.StartNginxAsync();
        var baseUrl = $"https://127.0.0.1:{nginx.Port}";
        await ServeRegistriesAsync(world, baseUrl);

        // A user's .npmrc with a token, 0600: restored byte for byte, mode kept, token never shown.
        var npmrc = Path.Combine(world.Home, ".npmrc");
        await File.WriteAllTextAsync(npmrc, $"//registry.npmjs.org/:_authToken={NpmToken}\nfund=false\n");
        File.SetUnixFileMode(npmrc, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var homeBefore = MtlsWorld.Snapshot(world.Home);
        var env = world.ClientEnvironment();

        Assert.NotEqual(0, (await NpmViewAsync(world, env, baseUrl, "before")).ExitCode);
        Assert.NotEqual(0, (await PipIndexAsync(env, baseUrl)).ExitCode);
        Assert.NotEqual(0, (await JavaFetchAsync(world, env, [], $"{baseUrl}/whoami")).ExitCode);

        var (setupRun, setup) = await world.SetupAsync(
            "--for", $"npm={baseUrl}/", "--for", $"pip={baseUrl}/simple/", "--for", $"kube={baseUrl},ci-cluster", "--for", "maven",
            "--for", $"nuget={baseUrl}/v3/index.json,internal", "--for", $"helm={baseUrl}/charts/", "--for", "env");
        Assert.DoesNotContain(NpmToken, setupRun.Combined, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(npmrc));
        var exports = MtlsWorld.Exports(setup);

        // npm: certfile/keyfile scoped to the registry.
        var npm = await NpmViewAsync(world, env, baseUrl, "after");
        Assert.True(npm.ExitCode == 0, npm + nginx.ErrorLog);
        Assert.Equal("1.0.0", npm.StandardOutput.Trim());
        Assert.DoesNotContain(NpmToken, npm.Combined, StringComparison.Ordinal);

        // pip: client-cert + cert from the user config.
        var pip = await PipIndexAsync(env, baseUrl);
        Assert.True(pip.ExitCode == 0, pip + nginx.ErrorLog);
        Assert.Contains("tinypkg (1.0)", pip.StandardOutput, StringComparison.Ordinal);

        // kubectl: through KUBECONFIG as exported (ours first, existing none).
        var kubeEnv = world.ClientEnvironment([new("KUBECONFIG", exports["KUBECONFIG"])]);
        var kubectl = await MtlsWorld.RunAsync("kubectl", kubeEnv, world.Cli.Root, "version", "-o", "json", "--cache-dir", world.Cli.PathOf("kube-cache"), "--request-timeout", "20s");
        Assert.True(kubectl.ExitCode == 0, kubectl + nginx.ErrorLog);
        using (var version = JsonDocument.Parse(kubectl.StandardOutput))
        {
            Assert.Equal("v1.32.0-mtls", version.RootElement.GetProperty("serverVersion").GetProperty("gitVersion").GetString());
        }

        // Maven's transport is JSSE: a one-file Java client with MAVEN_OPTS' javax.net.ssl settings.
        var java = await JavaFetchAsync(world, env, exports["MAVEN_OPTS"].Split(' ', StringSplitOptions.RemoveEmptyEntries), $"{baseUrl}/whoami");
        Assert.True(java.ExitCode == 0, java + nginx.ErrorLog);
        Assert.Contains("200 SUCCESS", java.StandardOutput, StringComparison.Ordinal);

        // NuGet: the config names a PKCS#12 file that OpenSSL opens with the documented password.
        var nugetConfig = XDocument.Load(Path.Combine(world.Home, ".nuget", "NuGet", "NuGet.Config"));
        var source = nugetConfig.Root!.Element("packageSources")!.Elements("add").Single(e => (string?)e.Attribute("key") == "internal");
        Assert.Equal($"{baseUrl}/v3/index.json", (string?)source.Attribute("value"));
        var fileCert = nugetConfig.Root.Element("clientCertificates")!.Elements("fileCert").Single(e => (string?)e.Attribute("packageSource") == "internal");
        Assert.Equal("changeit", (string?)fileCert.Attribute("clearTextPassword"));
        var p12 = (string)fileCert.Attribute("path")!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(p12));
        var p12Certs = await OpenSsl.RunAsync("pkcs12", "-in", p12, "-passin", "pass:changeit", "-nokeys");
        Assert.True(p12Certs.ExitCode == 0, p12Certs.ToString());
        Assert.Contains("subject=CN = pipeline", p12Certs.StandardOutput, StringComparison.Ordinal);
        var p12Key = await OpenSsl.RunAsync("pkcs12", "-in", p12, "-passin", "pass:changeit", "-nocerts", "-nodes");
        Assert.True(p12Key.ExitCode == 0, "openssl could not read the key bag");
        var keyFromP12 = world.Cli.PathOf("p12-key.pem");
        await File.WriteAllTextAsync(keyFromP12, p12Key.StandardOutput);
        Assert.Equal(
            (await OpenSsl.RunAsync("pkey", "-in", world.ClientKey, "-pubout")).StandardOutput,
            (await OpenSsl.RunAsync("pkey", "-in", keyFromP12, "-pubout")).StandardOutput);

        // helm: repositories.yaml parsed by a real YAML parser; its files work with curl.
        var helm = await MtlsWorld.RunAsync("/usr/bin/python3", env, world.Cli.Root, "-c",
            "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", Path.Combine(world.Home, ".config", "helm", "repositories.yaml"));
        Assert.True(helm.ExitCode == 0, helm.ToString());
        using (var repositories = JsonDocument.Parse(helm.StandardOutput))
        {
            var repository = repositories.RootElement.GetProperty("repositories").EnumerateArray().Single();
            Assert.Equal($"{baseUrl}/charts/", repository.GetProperty("url").GetString());
            var viaHelmFiles = await MtlsWorld.RunAsync("curl", env, world.Cli.Root, "-q", "-fsS",
                "--cert", repository.GetProperty("certFile").GetString()!, "--key", repository.GetProperty("keyFile").GetString()!,
                "--cacert", repository.GetProperty("caFile").GetString()!, $"{baseUrl}/charts/index.yaml");
            Assert.True(viaHelmFiles.ExitCode == 0, viaHelmFiles + nginx.ErrorLog);
            Assert.StartsWith("apiVersion: v1", viaHelmFiles.StandardOutput, StringComparison.Ordinal);
        }

        // env: curl with nothing but the exported variables (-q: no curlrc).
        var envOnly = world.ClientEnvironment(exports.Where(e => e.Key is "CURL_CA_BUNDLE" or "PIPELINE_PKI_CLIENT_CERT" or "PIPELINE_PKI_CLIENT_KEY"));
        var curlEnv = await MtlsWorld.RunAsync("/bin/sh", envOnly, world.Cli.Root, "-c", $"curl -q -fsS --cert \"$PIPELINE_PKI_CLIENT_CERT\" --key \"$PIPELINE_PKI_CLIENT_KEY\" {baseUrl}/whoami");
        Assert.True(curlEnv.ExitCode == 0, curlEnv + nginx.ErrorLog);
        Assert.StartsWith("SUCCESS", curlEnv.StandardOutput, StringComparison.Ordinal);

        var teardown = await world.Cli.RunAsync("mtls", "teardown", "--state", world.State);
        Assert.True(teardown.ExitCode == 0, teardown.ToString());
        Assert.DoesNotContain(NpmToken, teardown.Combined, StringComparison.Ordinal);
        MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
        Assert.False(Directory.Exists(world.State));
        Assert.NotEqual(0, (await NpmViewAsync(world, env, baseUrl, "torn-down")).ExitCode);
        Assert.NotEqual(0, (await PipIndexAsync(env, baseUrl)).ExitCode);
    }

    private static Task<ProcessResult> NpmViewAsync(MtlsWorld world, Dictionary<string, string?> env, string baseUrl, string cache)
    {
        var npmEnv = new Dictionary<string, string?>(env) { ["npm_config_cache"] = world.Cli.PathOf($"npm-cache-{cache}"), ["npm_config_update_notifier"] = "false" };
        return MtlsWorld.RunAsync("npm", npmEnv, world.Cli.Root, "view", "tinypkg", "version", "--registry", $"{baseUrl}/", "--fetch-retries", "0", "--fetch-timeout", "20000");
    }

    private static Task<ProcessResult> PipIndexAsync(Dictionary<string, string?> env, string baseUrl) =>
        MtlsWorld.RunAsync("pip", env, null, "index", "versions", "tinypkg", "--index-url", $"{baseUrl}/simple/", "--retries", "0", "--timeout", "20", "--no-cache-dir", "--disable-pip-version-check");

    private static async Task<ProcessResult> JavaFetchAsync(MtlsWorld world, Dictionary<string, string?> env, string[] options, string url)
    {
        var source = world.Cli.PathOf("Fetch.java");
        if (!File.Exists(source))
        {
            await File.WriteAllTextAsync(source, """
                import java.net.URI;
                import javax.net.ssl.HttpsURLConnection;

                public class Fetch {
                    public static void main(String[] args) throws Exception {
                        var connection = (HttpsURLConnection) URI.create(args[0]).toURL().openConnection();
                        var status = connection.getResponseCode();
                        var body = new String((status < 400 ? connection.getInputStream() : connection.getErrorStream()).readAllBytes());
                        System.out.print(status + " " + body);
                        System.exit(status == 200 ? 0 : 1);
                    }
                }
                """);
        }

        return await MtlsWorld.RunAsync("java", env, world.Cli.Root, [.. options, source, url]);
    }

    /// <summary>Registry-shaped files under nginx's root: an npm packument, a PEP 503 simple index, a kube /version, a helm index.</summary>
    private static async Task ServeRegistriesAsync(MtlsWorld world, string baseUrl)
    {
        var html = MtlsWorld.HtmlRoot(world.Cli);
        var packument = """{"name":"tinypkg","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"tinypkg","version":"1.0.0","dist":{"tarball":"BASE/tinypkg/-/tinypkg-1.0.0.tgz","shasum":"0000000000000000000000000000000000000000"}}}}""";
        await File.WriteAllTextAsync(Path.Combine(html, "tinypkg"), packument.Replace("BASE", baseUrl, StringComparison.Ordinal));
        Directory.CreateDirectory(Path.Combine(html, "simple", "tinypkg"));
        await File.WriteAllTextAsync(Path.Combine(html, "simple", "tinypkg", "index.html"), """
            <!DOCTYPE html><html><body><a href="../../files/tinypkg-1.0.tar.gz#sha256=0000000000000000000000000000000000000000000000000000000000000000">tinypkg-1.0.tar.gz</a></body></html>
            """);
        await File.WriteAllTextAsync(Path.Combine(html, "version"), """
            {"major":"1","minor":"32","gitVersion":"v1.32.0-mtls","gitCommit":"0000000000000000000000000000000000000000","gitTreeState":"clean","buildDate":"2026-01-01T00:00:00Z","goVersion":"go1.23","compiler":"gc","platform":"linux/amd64"}
            """);
        Directory.CreateDirectory(Path.Combine(html, "charts"));
        await File.WriteAllTextAsync(Path.Combine(html, "charts", "index.yaml"), "apiVersion: v1\nentries: {}\n");
    }
}
