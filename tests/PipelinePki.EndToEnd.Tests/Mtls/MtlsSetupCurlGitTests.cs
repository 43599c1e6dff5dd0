using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests.Mtls;

/// <summary>Real curl and git against a real nginx that demands a client certificate from our CA and checks our CRLs.</summary>
public class MtlsSetupCurlGitTests
{
    [Fact]
    public async Task SetupCurlAndGit_PlainCommandsWorkOnlyWhileSetUp_TeardownLeavesHomeIdentical()
    {
        using var world = await MtlsWorld.CreateAsync();
        await using var nginx = await world.StartNginxAsync();
        var repository = await ServeGitRepositoryAsync(world, "repo.git");
        var fileUrl = $"https://127.0.0.1:{nginx.Port}/hello.txt";
        var gitUrl = $"https://127.0.0.1:{nginx.Port}/";
        var env = world.ClientEnvironment();
        File.WriteAllText(Path.Combine(world.Home, ".gitconfig"), "[user]\n\tname = Someone\n");
        var homeBefore = MtlsWorld.Snapshot(world.Home);

        var curlBefore = await MtlsWorld.RunAsync("curl", env, world.Home, "-fsS", fileUrl);
        Assert.NotEqual(0, curlBefore.ExitCode);
        var cloneBefore = await MtlsWorld.RunAsync("git", env, world.Cli.Root, "clone", gitUrl + repository, world.Cli.PathOf("clone-before"));
        Assert.NotEqual(0, cloneBefore.ExitCode);

        var (_, setup) = await world.SetupAsync("--for", "curl", "--for", $"git={gitUrl}");
        Assert.Equal(world.State, setup.RootElement.GetProperty("stateDirectory").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(world.State, "client.key")));

        var curl = await MtlsWorld.RunAsync("curl", env, world.Home, "-fsS", fileUrl);
        Assert.True(curl.ExitCode == 0, curl + nginx.ErrorLog);
        Assert.Equal("hello from nginx\n", curl.StandardOutput);
        var clone = await MtlsWorld.RunAsync("git", env, world.Cli.Root, "clone", gitUrl + repository, world.Cli.PathOf("clone"));
        Assert.True(clone.ExitCode == 0, clone + nginx.ErrorLog);
        Assert.Equal("mtls content\n", File.ReadAllText(world.Cli.PathOf("clone", "README")));

        // git's URL scoping: the same server under another URL gets no certificate (trust given, so only the certificate is missing).
        var otherUrl = $"https://localhost:{nginx.Port}/{repository}";
        var cloneOther = await MtlsWorld.RunAsync("git", env, world.Cli.Root, "-c", $"http.sslCAInfo={world.Root}", "clone", otherUrl, world.Cli.PathOf("clone-other"));
        Assert.NotEqual(0, cloneOther.ExitCode);
        Assert.Contains("400", cloneOther.StandardError, StringComparison.Ordinal);

        var teardown = await world.TeardownAsync();
        Assert.True(teardown.RootElement.GetProperty("setupWasComplete").GetBoolean());
        MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
        Assert.False(Directory.Exists(world.State));

        Assert.NotEqual(0, (await MtlsWorld.RunAsync("curl", env, world.Home, "-fsS", fileUrl)).ExitCode);
        Assert.NotEqual(0, (await MtlsWorld.RunAsync("git", env, world.Cli.Root, "clone", gitUrl + repository, world.Cli.PathOf("clone-after"))).ExitCode);

        // Idempotent: a second teardown finds nothing and changes nothing.
        var again = await world.TeardownAsync();
        Assert.False(again.RootElement.GetProperty("setupFound").GetBoolean());
        MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
    }

    [Fact]
    public async Task SetupWithRevokedCertificate_NginxRefusesIt()
    {
        using var world = await MtlsWorld.CreateAsync();
        var cli = world.Cli;
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "revoked-one", "--profile", "client", "--out", cli.PathOf("revoked"));
        var serial = (await OpenSsl.RunAsync("x509", "-in", cli.PathOf("revoked", "cert.pem"), "-noout", "-serial")).StandardOutput.Trim()["serial=".Length..];
        await cli.RunOkAsync("ca", "revoke", "--home", cli.Home, "--serial", serial, "--reason", "keyCompromise");
        await world.WriteCrlsAsync();
        await using var nginx = await world.StartNginxAsync();
        var env = world.ClientEnvironment();

        var result = await cli.RunAsync("mtls", "setup", "--cert", cli.PathOf("revoked", "fullchain.pem"), "--key", cli.PathOf("revoked", "key.pem"), "--ca", world.Root,
            "--for", "curl", "--state", world.State);
        Assert.True(result.ExitCode == 0, result.ToString());
        var curl = await MtlsWorld.RunAsync("curl", env, world.Home, "-fsS", $"https://127.0.0.1:{nginx.Port}/whoami");
        Assert.NotEqual(0, curl.ExitCode);
        Assert.Contains("revoked", nginx.ErrorLog, StringComparison.OrdinalIgnoreCase);

        // The good certificate through the same setup path is accepted: the refusal is the revocation.
        await world.TeardownAsync();
        await world.SetupAsync("--for", "curl");
        var good = await MtlsWorld.RunAsync("curl", env, world.Home, "-fsS", $"https://127.0.0.1:{nginx.Port}/whoami");
        Assert.True(good.ExitCode == 0, good + nginx.ErrorLog);
        Assert.StartsWith("SUCCESS", good.StandardOutput, StringComparison.Ordinal);
        await world.TeardownAsync();
    }

    [Fact]
    public async Task Setup_MachineExportsGitSslCainfo_SetupSaysSoAndExportsABundleThatWorks()
    {
        using var world = await MtlsWorld.CreateAsync();
        await using var nginx = await world.StartNginxAsync();
        var repository = await ServeGitRepositoryAsync(world, "repo.git");
        var gitUrl = $"https://127.0.0.1:{nginx.Port}/";
        const string SystemBundle = "/etc/ssl/certs/ca-certificates.crt";
        world.Cli.Environment["GIT_SSL_CAINFO"] = SystemBundle;

        var text = await world.Cli.RunAsync("mtls", "setup", "--cert", world.ClientCert, "--key", world.ClientKey, "--ca", world.Root, "--for", $"git={gitUrl}", "--state", world.State);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("GIT_SSL_CAINFO is set", text.StandardOutput, StringComparison.Ordinal);
        var exported = text.StandardOutput.Split('\n').Single(l => l.TrimStart().StartsWith("GIT_SSL_CAINFO=", StringComparison.Ordinal)).Trim()["GIT_SSL_CAINFO=".Length..];
        Assert.StartsWith(world.State, exported, StringComparison.Ordinal);

        // The machine's variable beats the URL-scoped sslCAInfo, as REAL-PEERS.md says; the exported one fixes it.
        var withMachineValue = await MtlsWorld.RunAsync("git", world.ClientEnvironment([new("GIT_SSL_CAINFO", SystemBundle)]), world.Cli.Root, "ls-remote", gitUrl + repository);
        Assert.NotEqual(0, withMachineValue.ExitCode);
        var withExported = await MtlsWorld.RunAsync("git", world.ClientEnvironment([new("GIT_SSL_CAINFO", exported)]), world.Cli.Root, "ls-remote", gitUrl + repository);
        Assert.True(withExported.ExitCode == 0, withExported + nginx.ErrorLog);

        var teardown = await world.Cli.RunAsync("mtls", "teardown", "--state", world.State);
        Assert.True(teardown.ExitCode == 0, teardown.ToString());
        Assert.Contains($"GIT_SSL_CAINFO={SystemBundle}", teardown.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>A bare repository with one commit, served by nginx as static files (git's dumb HTTP protocol).</summary>
    internal static async Task<string> ServeGitRepositoryAsync(MtlsWorld world, string name)
    {
        var work = world.Cli.PathOf("git-work");
        var bare = Path.Combine(MtlsWorld.HtmlRoot(world.Cli), name);
        var env = world.ClientEnvironment([new("GIT_AUTHOR_NAME", "t"), new("GIT_AUTHOR_EMAIL", "t@e"), new("GIT_COMMITTER_NAME", "t"), new("GIT_COMMITTER_EMAIL", "t@e")]);
        env["HOME"] = world.Cli.PathOf("git-home");
        Directory.CreateDirectory(env["HOME"]!);
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "README"), "mtls content\n");
        foreach (var step in new[] { new[] { "init", "-q", "-b", "main" }, ["add", "README"], ["commit", "-q", "-m", "first"], ["clone", "-q", "--bare", work, bare] })
        {
            var result = await MtlsWorld.RunAsync("git", env, work, step);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        var info = await MtlsWorld.RunAsync("git", env, bare, "update-server-info");
        Assert.True(info.ExitCode == 0, info.ToString());
        return name;
    }
}
