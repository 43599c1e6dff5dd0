using System.Diagnostics;
using System.Net.Sockets;

namespace PipelinePki.TestKit;

/// <summary>Options for a test nginx: TLS with our certificates, optionally demanding client certificates.</summary>
public sealed record NginxOptions(
    string Certificate,
    string Key,
    string? ClientCa = null,
    string? ClientCrl = null,
    string? StaplingFile = null,
    bool VerifyClientOptional = false);

/// <summary>
/// A real nginx on 127.0.0.1 and a free port, run unprivileged from a test-owned prefix and stopped
/// by its own PID. Serves <c>/hello.txt</c> and answers with the client certificate's subject in
/// <c>/whoami</c>, so tests can tell that the client certificate was presented and accepted.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string prefix;

    private NginxServer(Process process, string prefix, int port)
    {
        this.process = process;
        this.prefix = prefix;
        Port = port;
    }

    public int Port { get; }

    public Uri Url => new($"https://127.0.0.1:{Port}/");

    public string ErrorLog => File.Exists(Path.Combine(prefix, "error.log")) ? File.ReadAllText(Path.Combine(prefix, "error.log")) : string.Empty;

    public static async Task<NginxServer> StartAsync(string directory, NginxOptions options)
    {
        var nginx = File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        var prefix = Path.Combine(directory, "nginx");
        Directory.CreateDirectory(Path.Combine(prefix, "html"));
        await File.WriteAllTextAsync(Path.Combine(prefix, "html", "hello.txt"), "hello from nginx\n");
        var port = FreePort();
        var clientAuth = options.ClientCa is null ? string.Empty : $"""
                ssl_client_certificate {options.ClientCa};
                ssl_verify_client {(options.VerifyClientOptional ? "optional" : "on")};
                ssl_verify_depth 3;
                {(options.ClientCrl is null ? string.Empty : $"ssl_crl {options.ClientCrl};")}
            """;
        var stapling = options.StaplingFile is null ? string.Empty : $"ssl_stapling on; ssl_stapling_file {options.StaplingFile};";
        var config = $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log info;
            events { worker_connections 64; }
            http {
                access_log {{prefix}}/access.log;
                client_body_temp_path {{prefix}}/tmp-body;
                proxy_temp_path {{prefix}}/tmp-proxy;
                fastcgi_temp_path {{prefix}}/tmp-fastcgi;
                uwsgi_temp_path {{prefix}}/tmp-uwsgi;
                scgi_temp_path {{prefix}}/tmp-scgi;
                default_type text/plain;
                server {
                    listen 127.0.0.1:{{port}} ssl;
                    server_name localhost;
                    ssl_certificate {{options.Certificate}};
                    ssl_certificate_key {{options.Key}};
                    ssl_protocols TLSv1.2 TLSv1.3;
                    {{clientAuth}}
                    {{stapling}}
                    root {{prefix}}/html;
                    location = /whoami { return 200 "$ssl_client_verify $ssl_client_s_dn\n"; }
                }
            }
            """;
        var configPath = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(configPath, config);
        var info = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "-p", prefix, "-c", configPath, "-e", Path.Combine(prefix, "error.log") })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start nginx");
        var server = new NginxServer(process, prefix, port);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()} {server.ErrorLog}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        await server.DisposeAsync();
        throw new TimeoutException($"nginx did not listen on {port}: {server.ErrorLog}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary><c>openssl s_server</c> on loopback: the reference TLS peer.</summary>
public sealed class OpenSslServer : IAsyncDisposable
{
    private readonly Process process;

    private OpenSslServer(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<OpenSslServer> StartAsync(string certificate, string key, string? chain = null, params string[] extra)
    {
        var port = FreePortFor();
        var info = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        var arguments = new List<string> { "s_server", "-accept", $"127.0.0.1:{port}", "-cert", certificate, "-key", key, "-www", "-quiet" };
        if (chain is not null)
        {
            arguments.AddRange(["-cert_chain", chain]);
        }

        arguments.AddRange(extra);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start openssl s_server");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"s_server exited: {await process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return new OpenSslServer(process, port);
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        process.Kill();
        throw new TimeoutException("s_server did not listen");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static int FreePortFor()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
