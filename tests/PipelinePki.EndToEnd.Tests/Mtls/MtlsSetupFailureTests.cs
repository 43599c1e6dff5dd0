using System.Diagnostics;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Pki;

namespace PipelinePki.EndToEnd.Tests.Mtls;

/// <summary>Bad input is refused before anything is written; a failure halfway is rolled back; a killed setup is still torn down cleanly.</summary>
public class MtlsSetupFailureTests
{
    [Fact]
    public async Task Setup_BadInputs_RefusedWithTheContractsExitCodeAndNothingLeftBehind()
    {
        using var world = await MtlsWorld.CreateAsync();
        var cli = world.Cli;
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "other", "--profile", "client", "--out", cli.PathOf("other"));
        var pki = new TestPki();
        var root = pki.Root("Expired Root").Build();
        var expired = pki.Leaf("expired", root).Expired().Build();
        using var temp = new TempDirectory();
        var expiredCert = expired.WritePem(temp, "expired.pem");
        var expiredKey = expired.WriteKeyPem(temp, "expired.key");
        var homeBefore = MtlsWorld.Snapshot(world.Home);
        string[] Setup(string cert, string key, string ca, params string[] rest) => ["mtls", "setup", "--cert", cert, "--key", key, "--ca", ca, "--state", world.State, .. rest];

        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, cli.PathOf("other", "key.pem"), world.Root, "--for", "curl")), 3, "does not belong");
        ErrorAssert.OneLine(await cli.RunAsync(Setup(expiredCert, expiredKey, world.Root, "--for", "curl")), 4, "expired");
        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, world.ClientKey, world.ClientCert, "--for", "curl")), 4, "not a CA");
        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, world.ClientKey, world.Root, "--for", "ftp=x")), 2, "ftp");
        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, world.ClientKey, world.Root, "--for", "dotnet")), 2, "MtlsHttp");
        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, world.ClientKey, world.Root, "--for", "git=http://plain/")), 2, "git=http://plain/");
        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, "pkcs11:token=ci;object=client", world.Root, "--for", "env", "--for", "git=https://h/")), 2, "git=https://h/");
        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, cli.PathOf("missing.key"), world.Root, "--for", "curl")), 3, "missing.key");
        var json = await cli.RunAsync([.. Setup(world.ClientCert, world.ClientKey, world.Root, "--for", "ftp"), "--format", "json"]);
        Assert.Equal(2, json.ExitCode);
        Assert.Contains("\"exitCode\": 2", json.StandardOutput, StringComparison.Ordinal);
        MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
        Assert.False(Directory.Exists(world.State));

        // Unwritable config: curl is configured first, then npm's .npmrc cannot be written; curl's change is rolled back.
        Directory.CreateDirectory(Path.Combine(world.Home, ".npmrc"));
        homeBefore = MtlsWorld.Snapshot(world.Home);
        var unwritable = await cli.RunAsync(Setup(world.ClientCert, world.ClientKey, world.Root, "--for", "curl", "--for", "npm=https://127.0.0.1:1/"));
        ErrorAssert.OneLine(unwritable, 3, "--for npm=https://127.0.0.1:1/");
        MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
        Assert.False(Directory.Exists(world.State));

        // --allow-expired configures it anyway; a pkcs11: key is handed on through env.
        var allowed = await cli.RunAsync(Setup(expiredCert, expiredKey, root.WritePem(temp, "root.pem"), "--for", "curl", "--allow-expired"));
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        await world.TeardownAsync();
        var token = await cli.RunAsync([.. Setup(world.ClientCert, "pkcs11:token=ci;object=client", world.Root, "--for", "env"), "--format", "json"]);
        Assert.True(token.ExitCode == 0, token.ToString());
        using (var tokenJson = System.Text.Json.JsonDocument.Parse(token.StandardOutput))
        {
            Assert.Equal("pkcs11:token=ci;object=client", MtlsWorld.Exports(tokenJson)["PIPELINE_PKI_CLIENT_KEY"]);
        }

        // A second setup over an active one is refused (teardown first).
        ErrorAssert.OneLine(await cli.RunAsync(Setup(world.ClientCert, world.ClientKey, world.Root, "--for", "curl")), 3, "mtls teardown");
        await world.TeardownAsync();
        MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
    }

    /// <summary>SIGKILL at random moments of a many-target setup; every time, teardown returns HOME to exactly what it was.</summary>
    [Fact]
    public async Task Setup_KilledMidway_TeardownRestoresHomeExactly()
    {
        using var world = await MtlsWorld.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(world.Home, ".curlrc"), "silent\n");
        File.SetUnixFileMode(Path.Combine(world.Home, ".curlrc"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(Path.Combine(world.Home, ".gitconfig"), "[user]\n\tname = Someone\n");
        var homeBefore = MtlsWorld.Snapshot(world.Home);
        var (fileName, prefix) = CliProcess.Command();
        var random = new Random(4321);
        var killed = 0;
        var partial = 0;
        var fullRun = TimeSpan.Zero;
        for (var round = 0; round < 13; round++)
        {
            var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var (name, value) in world.Cli.Environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(name);
                }
                else
                {
                    info.Environment[name] = value;
                }
            }

            foreach (var argument in prefix.Concat(["mtls", "setup", "--cert", world.ClientCert, "--key", world.ClientKey, "--ca", world.Root, "--state", world.State,
                "--for", "curl", "--for", "git=https://127.0.0.1:1/", "--for", "docker=127.0.0.1:5000", "--docker-daemon-certs", world.Cli.PathOf("daemon"),
                "--for", "npm=https://127.0.0.1:1/", "--for", "pip=https://127.0.0.1:1/simple/", "--for", "maven", "--for", "nuget=https://127.0.0.1:1/v3/index.json",
                "--for", "kube=https://127.0.0.1:1", "--for", "helm=https://127.0.0.1:1/", "--for", "env"]))
            {
                info.ArgumentList.Add(argument);
            }

            // Round 0 runs to the end and times a whole setup; later rounds are killed somewhere inside that time.
            var started = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            if (round == 0)
            {
                await process.WaitForExitAsync();
                fullRun = started.Elapsed;
                Assert.Equal(0, process.ExitCode);
            }

            await Task.Delay(round == 0 ? TimeSpan.Zero : fullRun * (0.25 + (0.7 * random.NextDouble())));
            if (!process.HasExited)
            {
                process.Kill();
                killed++;
            }

            await process.WaitForExitAsync();
            if (File.Exists(Path.Combine(world.State, "manifest.json")) && !File.ReadAllText(Path.Combine(world.State, "manifest.json")).Contains("\"completed\": true", StringComparison.Ordinal))
            {
                partial++;
            }

            var teardown = await world.Cli.RunAsync("mtls", "teardown", "--state", world.State);
            Assert.True(teardown.ExitCode == 0, teardown.ToString());
            MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
            Assert.False(Directory.Exists(world.Cli.PathOf("daemon")), $"round {round}: daemon certs.d left behind");
            Assert.False(File.Exists(Path.Combine(world.State, "manifest.json")));
            Assert.Empty(Directory.Exists(world.State) ? Directory.GetFiles(world.State, "*.key") : []);
        }

        Assert.True(partial >= 3, $"only {partial} of {killed} kills landed mid-setup (a full setup took {fullRun.TotalMilliseconds:F0} ms); the test proves nothing");
    }
}
