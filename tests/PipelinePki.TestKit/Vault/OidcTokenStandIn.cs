using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PipelinePki.TestKit.Vault;

/// <summary>
/// The CI platforms' ID token services on 127.0.0.1, as documented: GitHub Actions
/// (<c>GET $ACTIONS_ID_TOKEN_REQUEST_URL&amp;audience=…</c> with the request token as bearer → <c>{"value": jwt}</c>)
/// and Azure Pipelines (<c>POST $SYSTEM_OIDCREQUESTURI?api-version=…&amp;serviceConnectionId=…</c> with
/// SYSTEM_ACCESSTOKEN as bearer → <c>{"oidcToken": jwt}</c>).
/// </summary>
public sealed class OidcTokenStandIn : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<string> queries = new();

    private OidcTokenStandIn(WebApplication app, Uri address, string bearer, string jwt)
    {
        this.app = app;
        Address = address;
        Bearer = bearer;
        Jwt = jwt;
    }

    public Uri Address { get; }

    /// <summary>The request token the platform gives the job (ACTIONS_ID_TOKEN_REQUEST_TOKEN / SYSTEM_ACCESSTOKEN).</summary>
    public string Bearer { get; }

    /// <summary>The ID token handed out: a JWT-shaped string.</summary>
    public string Jwt { get; }

    /// <summary>GitHub's request URL already carries a query (api-version); the client appends &amp;audience=.</summary>
    public string GitHubRequestUrl => new Uri(Address, "/_apis/pipelines/oidctoken?api-version=2.0").AbsoluteUri;

    public string AzureRequestUri => new Uri(Address, "/org/project/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken").AbsoluteUri;

    /// <summary>Query strings received, in order (audience, serviceConnectionId).</summary>
    public IReadOnlyList<string> Queries => queries.ToList();

    public static async Task<OidcTokenStandIn> StartAsync()
    {
        var bearer = "request-token-" + Guid.NewGuid().ToString("N");
        var jwt = "eyJhbGciOiJSUzI1NiJ9." + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{{\"sub\":\"repo:example/repo\",\"jti\":\"{Guid.NewGuid():N}\"}}")).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".c2lnbmF0dXJl";
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        var web = builder.Build();
        OidcTokenStandIn? standIn = null;
        web.Run(context => standIn!.HandleAsync(context));
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        standIn = new OidcTokenStandIn(web, new Uri(address), bearer, jwt);
        return standIn;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        queries.Enqueue(context.Request.QueryString.Value ?? string.Empty);
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {Bearer}")
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        context.Response.ContentType = "application/json";
        var path = context.Request.Path.Value ?? string.Empty;
        if (HttpMethods.IsGet(context.Request.Method) && path.EndsWith("/pipelines/oidctoken", StringComparison.Ordinal) && context.Request.Query.ContainsKey("audience"))
        {
            await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["count"] = 1, ["value"] = Jwt }));
            return;
        }

        if (HttpMethods.IsPost(context.Request.Method) && path.EndsWith("/oidctoken", StringComparison.Ordinal) && context.Request.Query.ContainsKey("serviceConnectionId"))
        {
            await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["oidcToken"] = Jwt }));
            return;
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
    }
}
