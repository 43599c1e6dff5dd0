using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PipelinePki.TestKit.Http;

/// <summary>
/// An RFC 3161 TSA over real HTTP on 127.0.0.1 (Kestrel, OS-chosen port): POST
/// <c>application/timestamp-query</c> at any path, answered by <paramref name="respond"/> as
/// <c>application/timestamp-reply</c>. The responder can be the product's TimestampAuthority,
/// OpenSSL, or a test's misbehaving stand-in. Counts requests and records the latest one.
/// </summary>
public sealed class LoopbackTimestampServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Func<byte[], CancellationToken, Task<byte[]>> respond;
    private int requestCount;

    private LoopbackTimestampServer(WebApplication app, Func<byte[], CancellationToken, Task<byte[]>> respond)
    {
        this.app = app;
        this.respond = respond;
    }

    /// <summary>http://127.0.0.1:PORT/tsa</summary>
    public Uri Url { get; private set; } = null!;

    public int RequestCount => Volatile.Read(ref requestCount);

    /// <summary>Content-Type, Accept and body of the latest request.</summary>
    public (string? ContentType, string Accept, byte[] Body)? LastRequest { get; private set; }

    /// <summary>Content-Type of the replies; tests change it to see a client refuse a non-TSA answer.</summary>
    public string ReplyContentType { get; set; } = "application/timestamp-reply";

    public static Task<LoopbackTimestampServer> StartAsync(Func<byte[], byte[]> respond, CancellationToken cancellationToken = default) =>
        StartAsync((request, _) => Task.FromResult(respond(request)), cancellationToken);

    public static async Task<LoopbackTimestampServer> StartAsync(
        Func<byte[], CancellationToken, Task<byte[]>> respond, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(respond);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackTimestampServer(app, respond);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Url = new Uri(address.TrimEnd('/') + "/tsa");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await app.StopAsync(timeout.Token);
        }

        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref requestCount);
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        LastRequest = (context.Request.ContentType, context.Request.Headers.Accept.ToString(), body.ToArray());
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        var reply = await respond(body.ToArray(), context.RequestAborted);
        context.Response.ContentType = ReplyContentType;
        context.Response.ContentLength = reply.Length;
        await context.Response.Body.WriteAsync(reply, context.RequestAborted);
    }
}
