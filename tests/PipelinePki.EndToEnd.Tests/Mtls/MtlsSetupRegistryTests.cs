using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PipelinePki.EndToEnd.Tests.Mtls;

/// <summary>Debian's docker-registry demanding client certificates from our CA, and skopeo reading the certs.d setup writes.</summary>
public class MtlsSetupRegistryTests
{
    [Fact]
    public async Task SetupDocker_SkopeoCopyToRegistryWorksOnlyWhileSetUp()
    {
        using var world = await MtlsWorld.CreateAsync();
        var port = FreePort();
        var hostPort = $"127.0.0.1:{port}";
        var registryDirectory = world.Cli.PathOf("registry");
        Directory.CreateDirectory(registryDirectory);
        var config = Path.Combine(registryDirectory, "config.yml");
        await File.WriteAllTextAsync(config, $"""
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: {Path.Combine(registryDirectory, "data")}
            http:
              addr: {hostPort}
              tls:
                certificate: {world.ServerCert}
                key: {world.ServerKey}
                clientcas:
                  - {world.Root}
            """);
        using var registry = StartRegistry(config);
        try
        {
            await WaitForPortAsync(port, registry);
            var (layout, manifestDigest) = BuildOciLayout(world.Cli.PathOf("oci"));
            var env = world.ClientEnvironment();
            var homeBefore = MtlsWorld.Snapshot(world.Home);
            string[] Copy(string tag) => ["--insecure-policy", "copy", "--retry-times", "0", "--digestfile", world.Cli.PathOf($"digest-{tag}"), $"oci:{layout}:v1", $"docker://{hostPort}/tiny:{tag}"];

            var before = await MtlsWorld.RunAsync("skopeo", env, world.Cli.Root, Copy("before"));
            Assert.NotEqual(0, before.ExitCode);

            var daemon = world.Cli.PathOf("daemon-certs.d");
            var (_, setup) = await world.SetupAsync("--for", $"docker={hostPort}", "--docker-daemon-certs", daemon);
            Assert.True(File.Exists(Path.Combine(world.Home, ".config", "containers", "certs.d", hostPort, "client.key")));
            Assert.True(File.Exists(Path.Combine(world.Home, ".docker", "certs.d", hostPort, "client.cert")));
            Assert.True(File.Exists(Path.Combine(daemon, hostPort, "ca.crt")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(daemon, hostPort, "client.key")));
            Assert.Contains("docker daemon", setup.RootElement.GetProperty("targets")[0].GetProperty("notes")[0].GetString(), StringComparison.Ordinal);

            var copy = await MtlsWorld.RunAsync("skopeo", env, world.Cli.Root, Copy("v1"));
            Assert.True(copy.ExitCode == 0, copy.ToString());
            Assert.Equal(manifestDigest, File.ReadAllText(world.Cli.PathOf("digest-v1")).Trim());

            await world.TeardownAsync();
            MtlsWorld.AssertSameTree(homeBefore, MtlsWorld.Snapshot(world.Home));
            Assert.False(Directory.Exists(daemon));
            var after = await MtlsWorld.RunAsync("skopeo", env, world.Cli.Root, Copy("after"));
            Assert.NotEqual(0, after.ExitCode);
        }
        finally
        {
            if (!registry.HasExited)
            {
                registry.Kill(entireProcessTree: true);
                await registry.WaitForExitAsync();
            }
        }
    }

    private static Process StartRegistry(string config)
    {
        var info = new ProcessStartInfo("docker-registry") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("serve");
        info.ArgumentList.Add(config);
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start docker-registry");
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task WaitForPortAsync(int port, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "docker-registry exited");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"docker-registry did not listen on {port}");
    }

    /// <summary>A one-layer OCI image layout written by hand (oci-layout, index.json, blobs), so no image tool is needed to make it.</summary>
    private static (string Layout, string ManifestDigest) BuildOciLayout(string layout)
    {
        var blobs = Path.Combine(layout, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        string Blob(byte[] content)
        {
            var hex = Convert.ToHexStringLower(SHA256.HashData(content));
            File.WriteAllBytes(Path.Combine(blobs, hex), content);
            return "sha256:" + hex;
        }

        byte[] tar;
        using (var tarStream = new MemoryStream())
        {
            using (var writer = new TarWriter(tarStream, TarEntryFormat.Pax, leaveOpen: true))
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello.txt") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("hello from an mTLS registry\n")), ModificationTime = DateTimeOffset.UnixEpoch };
                writer.WriteEntry(entry);
            }

            tar = tarStream.ToArray();
        }

        byte[] gzipped;
        using (var gzipStream = new MemoryStream())
        {
            using (var gzip = new GZipStream(gzipStream, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(tar);
            }

            gzipped = gzipStream.ToArray();
        }

        var layerDigest = Blob(gzipped);
        var diffId = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar));
        var configJson = Encoding.UTF8.GetBytes($$$"""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["{{{diffId}}}"]}}""");
        var configDigest = Blob(configJson);
        var manifest = Encoding.UTF8.GetBytes($$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{configDigest}}}","size":{{{configJson.Length}}}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{{layerDigest}}}","size":{{{gzipped.Length}}}}]}""");
        var manifestDigest = Blob(manifest);
        File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(layout, "index.json"), $$$"""{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}""");
        return (layout, manifestDigest);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
