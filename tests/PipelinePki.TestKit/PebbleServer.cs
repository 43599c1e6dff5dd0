using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PipelinePki.TestKit.Http;

namespace PipelinePki.TestKit;

/// <summary>How a Pebble instance behaves: its environment knobs and EAB keys.</summary>
public sealed record PebbleOptions
{
    /// <summary>PEBBLE_WFE_NONCEREJECT: percentage of valid nonces refused with badNonce.</summary>
    public int NonceRejectPercent { get; init; }

    /// <summary>PEBBLE_AUTHZREUSE: percentage chance a valid authorization is reused by a new order.</summary>
    public int AuthorizationReusePercent { get; init; }

    /// <summary>PEBBLE_VA_NOSLEEP=1 when false: validation then sleeps 0-15 s, as Pebble does by default.</summary>
    public bool ValidationSleeps { get; init; }

    /// <summary>PEBBLE_ALTERNATE_ROOTS: extra roots, each offered as an alternate chain (Link rel="alternate").</summary>
    public int AlternateRoots { get; init; }

    /// <summary>EAB key id → base64url MAC key; non-empty makes EAB required.</summary>
    public IReadOnlyDictionary<string, string> ExternalAccountKeys { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Real Pebble (Debian <c>pebble</c>) with <c>pebble-challtestsrv</c> as its DNS, which resolves
/// every name to 127.0.0.1 and serves the TXT records dns-01 hooks set through its management API.
/// Everything binds 127.0.0.1 on free ports; files live in a temp folder; both processes are
/// stopped by their own PIDs. Pebble validates http-01 on <see cref="HttpChallengePort"/>, where the
/// client under test must listen.
/// </summary>
public sealed class PebbleServer : IAsyncDisposable
{
    private readonly TempDirectory folder;
    private readonly Process challengeServer;
    private readonly Process pebble;
    private readonly HttpClient management;

    private PebbleServer(TempDirectory folder, Process challengeServer, Process pebble, int listenPort, int managementPort, int httpPort, int challengeManagementPort, HttpClient management)
    {
        this.folder = folder;
        this.challengeServer = challengeServer;
        this.pebble = pebble;
        this.management = management;
        DirectoryUrl = $"https://127.0.0.1:{listenPort}/dir";
        ManagementUrl = $"https://127.0.0.1:{managementPort}";
        HttpChallengePort = httpPort;
        ChallengeManagementUrl = $"http://127.0.0.1:{challengeManagementPort}";
    }

    public string DirectoryUrl { get; }

    public string ManagementUrl { get; }

    /// <summary>The port Pebble connects to for http-01: pass it as --http-port.</summary>
    public int HttpChallengePort { get; }

    /// <summary>pebble-challtestsrv's management API (POST /set-txt, /clear-txt).</summary>
    public string ChallengeManagementUrl { get; }

    /// <summary>PEM of the CA that issued Pebble's own TLS certificate: --acme-ca-bundle.</summary>
    public string TlsCaBundle => folder.Combine("tls-ca.pem");

    public string Folder => folder.Path;

    public static async Task<PebbleServer> StartAsync(PebbleOptions options, CancellationToken cancellationToken = default)
    {
        foreach (var tool in new[] { "/usr/bin/pebble", "/usr/bin/pebble-challtestsrv" })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: install the Debian package 'pebble' (test.sh does).");
            }
        }

        var folder = new TempDirectory();
        await MakeTlsCertificateAsync(folder);
        // Distinct ports: the DNS server binds its port for UDP and TCP, so a repeat breaks start-up.
        var ports = LoopbackPkiServer.FreeTcpPorts(6);
        var (listenPort, managementPort, httpPort, tlsPort, dnsPort, challengeManagementPort) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5]);

        var config = new Dictionary<string, object>
        {
            ["listenAddress"] = $"127.0.0.1:{listenPort}",
            ["managementListenAddress"] = $"127.0.0.1:{managementPort}",
            ["certificate"] = folder.Combine("tls-cert.pem"),
            ["privateKey"] = folder.Combine("tls-key.pem"),
            ["httpPort"] = httpPort,
            ["tlsPort"] = tlsPort,
            ["ocspResponderURL"] = string.Empty,
            ["externalAccountBindingRequired"] = options.ExternalAccountKeys.Count > 0,
            ["externalAccountMACKeys"] = options.ExternalAccountKeys,
        };
        var configJson = "{\"pebble\":{" + string.Join(",", config.Select(kv => $"\"{kv.Key}\":{Json(kv.Value)}")) + "}}";
        await File.WriteAllTextAsync(folder.Combine("pebble-config.json"), configJson, cancellationToken);

        var challengeServer = Launch(folder, "/usr/bin/pebble-challtestsrv", "challtestsrv.log", new Dictionary<string, string>(),
            "-defaultIPv4", "127.0.0.1", "-defaultIPv6", string.Empty, "-dns01", $"127.0.0.1:{dnsPort}",
            "-http01", string.Empty, "-https01", string.Empty, "-tlsalpn01", string.Empty, "-management", $"127.0.0.1:{challengeManagementPort}");
        var environment = new Dictionary<string, string>
        {
            ["PEBBLE_WFE_NONCEREJECT"] = options.NonceRejectPercent.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PEBBLE_AUTHZREUSE"] = options.AuthorizationReusePercent.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PEBBLE_ALTERNATE_ROOTS"] = options.AlternateRoots.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (!options.ValidationSleeps)
        {
            environment["PEBBLE_VA_NOSLEEP"] = "1";
        }

        var pebble = Launch(folder, "/usr/bin/pebble", "pebble.log", environment,
            "-config", folder.Combine("pebble-config.json"), "-dnsserver", $"127.0.0.1:{dnsPort}");
        var management = CreateTrustingClient(folder.Combine("tls-ca.pem"));
        var server = new PebbleServer(folder, challengeServer, pebble, listenPort, managementPort, httpPort, challengeManagementPort, management);
        try
        {
            await server.WaitUntilReadyAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Pebble's root for the default chain (index 0) or an alternate one, PEM.</summary>
    public Task<string> RootPemAsync(int index = 0) => management.GetStringAsync($"{ManagementUrl}/roots/{index}");

    public Task<string> IntermediatePemAsync(int index = 0) => management.GetStringAsync($"{ManagementUrl}/intermediates/{index}");

    /// <summary>Pebble's own view of a certificate: "Valid" or "Revoked" (management /cert-status-by-serial).</summary>
    public async Task<string> CertificateStatusAsync(string serialHex)
    {
        var json = await management.GetStringAsync($"{ManagementUrl}/cert-status-by-serial/{serialHex.ToLowerInvariant()}");
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("Status").GetString() ?? string.Empty;
    }

    /// <summary>Writes a PEM file holding Pebble's root <paramref name="index"/> for OpenSSL to verify against.</summary>
    public async Task<string> WriteRootAsync(string path, int index = 0)
    {
        await File.WriteAllTextAsync(path, await RootPemAsync(index));
        return path;
    }

    public string Log => File.Exists(folder.Combine("pebble.log")) ? File.ReadAllText(folder.Combine("pebble.log")) : string.Empty;

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (pebble.HasExited || challengeServer.HasExited)
            {
                throw new InvalidOperationException($"Pebble exited during start-up:\n{Log}");
            }

            try
            {
                using var response = await management.GetAsync(DirectoryUrl, cancellationToken);
                using var roots = await management.GetAsync($"{ManagementUrl}/roots/0", cancellationToken);
                using var dns = await management.PostAsync($"{ChallengeManagementUrl}/clear-txt", new StringContent("{\"host\":\"ready.test.\"}"), cancellationToken);
                if (response.IsSuccessStatusCode && roots.IsSuccessStatusCode && dns.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"Pebble did not become ready in 60 s:\n{Log}");
    }

    private static Process Launch(TempDirectory folder, string fileName, string logName, Dictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder.Path,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var log = new StreamWriter(folder.Combine(logName)) { AutoFlush = true };
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { log.WriteLine(e.Data); } } };
        process.Exited += (_, _) => { lock (gate) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task MakeTlsCertificateAsync(TempDirectory folder)
    {
        async Task Run(params string[] arguments)
        {
            var result = await OpenSsl.RunAsync(arguments);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed: {result}");
            }
        }

        await Run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", folder.Combine("tls-ca.key"),
            "-out", folder.Combine("tls-ca.pem"), "-days", "2", "-subj", "/CN=Pebble TLS test CA");
        await Run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", folder.Combine("tls-key.pem"),
            "-out", folder.Combine("tls.csr"), "-subj", "/CN=localhost");
        await File.WriteAllTextAsync(folder.Combine("tls-ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
        await Run("x509", "-req", "-in", folder.Combine("tls.csr"), "-CA", folder.Combine("tls-ca.pem"), "-CAkey", folder.Combine("tls-ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", folder.Combine("tls-ext.cnf"), "-out", folder.Combine("tls-cert.pem"));
    }

    private static HttpClient CreateTrustingClient(string caPath)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
        var handler = new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    private static string Json(object value) => value switch
    {
        string s => JsonSerializer.Serialize(s),
        bool b => b ? "true" : "false",
        int i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        IReadOnlyDictionary<string, string> d => "{" + string.Join(",", d.Select(kv => $"{JsonSerializer.Serialize(kv.Key)}:{JsonSerializer.Serialize(kv.Value)}")) + "}",
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { pebble, challengeServer })
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        management.Dispose();
        folder.Dispose();
    }
}
