using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;

namespace PipelinePki.TestKit.Http;

/// <summary>
/// Real HTTP on 127.0.0.1 (Kestrel, port chosen by the OS) serving CRLs and OCSP responders for
/// tests, so the product's HTTP code runs exactly as in production. Every endpoint counts the
/// requests it received, which is how tests prove caching.
/// </summary>
public sealed class LoopbackPkiServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, LoopbackEndpoint> endpoints = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();

    private LoopbackPkiServer(WebApplication app, Uri baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>http://127.0.0.1:PORT/ — the address Kestrel was given by the OS.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Cancelled when the server shuts down, so artificial delays do not hold up disposal.</summary>
    internal CancellationToken Stopping => stopping.Token;

    public static async Task<LoopbackPkiServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        LoopbackPkiServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new LoopbackPkiServer(app, new Uri(address.TrimEnd('/') + "/"));
        return server;
    }

    /// <summary>Serves <paramref name="der"/> at <paramref name="path"/> (GET), as <c>application/pkix-crl</c>; serving a path again replaces its CRL.</summary>
    /// <param name="chunked">Send without Content-Length, so a client must count what it reads.</param>
    public Uri ServeCrl(string path, byte[] der, bool chunked = false)
    {
        ArgumentNullException.ThrowIfNull(der);
        if (endpoints.TryGetValue(Normalize(path), out var existing) && existing is CrlEndpoint published)
        {
            // Republishing, as a CA does: the next GET sees the new CRL; the request count carries on.
            published.Der = der;
            return UrlOf(published.Path);
        }

        return Register(new CrlEndpoint(Normalize(path), der, chunked));
    }

    /// <summary>
    /// An OCSP responder at <paramref name="path"/> (POST, and GET with the base64 request appended
    /// per RFC 6960 A.1) answering for certificates of <paramref name="issuer"/>, signed with
    /// <paramref name="signerKey"/> of <paramref name="signer"/> (the issuer itself or a delegated responder).
    /// </summary>
    public TestOcspResponder AddOcspResponder(
        string path,
        X509Certificate issuer,
        X509Certificate signer,
        AsymmetricKeyParameter signerKey,
        TimeProvider? time = null)
    {
        var responder = new TestOcspResponder(this, Normalize(path), issuer, signer, signerKey, time ?? TimeProvider.System);
        Register(responder);
        return responder;
    }

    public Uri UrlOf(string path) => new(BaseUrl, Normalize(path).TrimStart('/'));

    /// <summary>The endpoint registered at <paramref name="path"/>.</summary>
    public LoopbackEndpoint Endpoint(string path) => endpoints[Normalize(path)];

    /// <summary>Requests received at <paramref name="path"/> (a registered endpoint), whatever their outcome.</summary>
    public int RequestCount(string path) =>
        endpoints.TryGetValue(Normalize(path), out var endpoint) ? endpoint.RequestCount : 0;

    /// <summary>
    /// An http URL on 127.0.0.1 where nothing listens: a port the OS handed out and that was closed
    /// again at once, so connecting is refused rather than hanging.
    /// </summary>
    public static Uri UnreachableUrl(string path = "/ocsp")
    {
        var port = FreeTcpPort();
        return new Uri($"http://127.0.0.1:{port}{Normalize(path)}");
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (bound, then released).</summary>
    public static int FreeTcpPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>
    /// <paramref name="count"/> distinct TCP ports on 127.0.0.1, all free a moment ago. Calling
    /// <see cref="FreeTcpPort"/> repeatedly can hand out the same port twice (each socket is released
    /// before the next bind): Pebble once got its ACME port as its DNS port and failed to start.
    /// </summary>
    public static int[] FreeTcpPorts(int count)
    {
        var held = new List<Socket>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(socket);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }

            return [.. held.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await app.StopAsync(timeout.Token);
        }

        await app.DisposeAsync();
        stopping.Dispose();
    }

    private Uri Register(LoopbackEndpoint endpoint)
    {
        if (!endpoints.TryAdd(endpoint.Path, endpoint))
        {
            throw new InvalidOperationException($"{endpoint.Path} is already served");
        }

        return UrlOf(endpoint.Path);
    }

    private async Task HandleAsync(HttpContext context)
    {
        // The raw target, not Request.Path: base64 in a GET request may hold '/' and '+', and
        // Kestrel's decoded path would blur what the client actually sent.
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var target = query >= 0 ? raw[..query] : raw;
        if (endpoints.TryGetValue(target, out var exact))
        {
            await exact.HandleAsync(context, suffix: null);
            return;
        }

        var prefixed = endpoints.Values
            .Where(e => target.StartsWith(e.Path.TrimEnd('/') + "/", StringComparison.Ordinal))
            .OrderByDescending(e => e.Path.Length)
            .FirstOrDefault();
        if (prefixed is not null)
        {
            await prefixed.HandleAsync(context, target[(prefixed.Path.TrimEnd('/').Length + 1)..]);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
    }

    private static string Normalize(string path) => path.StartsWith('/') ? path : "/" + path;

    private sealed class CrlEndpoint(string path, byte[] der, bool chunked) : LoopbackEndpoint(path)
    {
        private byte[] der = der;

        public byte[] Der
        {
            get => Volatile.Read(ref der);
            set => Volatile.Write(ref der, value);
        }

        protected override async Task HandleCoreAsync(HttpContext context, string? suffix)
        {
            var der = Der;
            if (suffix is not null || !HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.StatusCode = suffix is null ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status404NotFound;
                return;
            }

            context.Response.ContentType = "application/pkix-crl";
            if (!chunked)
            {
                context.Response.ContentLength = der.Length;
                await context.Response.Body.WriteAsync(der, context.RequestAborted);
                return;
            }

            // No Content-Length: Kestrel sends chunks, and the client only learns the size by reading.
            const int piece = 4096;
            for (var offset = 0; offset < der.Length; offset += piece)
            {
                await context.Response.Body.WriteAsync(der.AsMemory(offset, Math.Min(piece, der.Length - offset)), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
    }
}

/// <summary>One path served by <see cref="LoopbackPkiServer"/>, with its request counter.</summary>
public abstract class LoopbackEndpoint(string path)
{
    private int requestCount;

    public string Path { get; } = path;

    public int RequestCount => Volatile.Read(ref requestCount);

    /// <summary>Method, Content-Type and Accept of the latest request, so tests can check what a client sends.</summary>
    public (string Method, string? ContentType, string? Accept)? LastRequest { get; private set; }

    internal Task HandleAsync(HttpContext context, string? suffix)
    {
        Interlocked.Increment(ref requestCount);
        LastRequest = (context.Request.Method, context.Request.ContentType, context.Request.Headers.Accept.ToString());
        return HandleCoreAsync(context, suffix);
    }

    /// <param name="suffix">What followed <see cref="Path"/> and a slash in the request target, or null for an exact match.</param>
    protected abstract Task HandleCoreAsync(HttpContext context, string? suffix);
}
