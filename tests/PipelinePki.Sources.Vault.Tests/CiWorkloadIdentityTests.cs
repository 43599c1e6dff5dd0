using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PipelinePki.Ci;
using PipelinePki.Core;
using PipelinePki.TestKit.Vault;

namespace PipelinePki.Sources.Vault.Tests;

/// <summary>The run's ID token from the platforms' documented token services (loopback stand-ins).</summary>
public sealed class CiWorkloadIdentityTests
{
    [Fact]
    public async Task RequestIdTokenAsync_GitHub_GetsWithBearerAndAudience_ReturnsValue()
    {
        await using var oidc = await OidcTokenStandIn.StartAsync();
        var identity = Create(new()
        {
            ["ACTIONS_ID_TOKEN_REQUEST_URL"] = oidc.GitHubRequestUrl,
            ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = oidc.Bearer,
        });

        var jwt = await identity.RequestIdTokenAsync("https://vault.example.internal", CancellationToken.None);

        Assert.Equal(oidc.Jwt, jwt);
        Assert.Contains("audience=https%3A%2F%2Fvault.example.internal", Assert.Single(oidc.Queries), StringComparison.Ordinal);
        Assert.Contains("api-version=2.0", oidc.Queries[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestIdTokenAsync_Azure_PostsForTheServiceConnection_ReturnsOidcToken()
    {
        await using var oidc = await OidcTokenStandIn.StartAsync();
        var identity = Create(new()
        {
            ["SYSTEM_OIDCREQUESTURI"] = oidc.AzureRequestUri,
            ["SYSTEM_ACCESSTOKEN"] = oidc.Bearer,
        }, "7b1c2d3e-0000-4000-8000-000000000001");

        var jwt = await identity.RequestIdTokenAsync("vault", CancellationToken.None);

        Assert.Equal(oidc.Jwt, jwt);
        Assert.Contains("serviceConnectionId=7b1c2d3e-0000-4000-8000-000000000001", Assert.Single(oidc.Queries), StringComparison.Ordinal);
        Assert.Contains($"api-version={CiWorkloadIdentity.AzureApiVersion}", oidc.Queries[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestIdTokenAsync_WrongRequestToken_RemoteFailureWithoutTheToken()
    {
        await using var oidc = await OidcTokenStandIn.StartAsync();
        var identity = Create(new()
        {
            ["ACTIONS_ID_TOKEN_REQUEST_URL"] = oidc.GitHubRequestUrl,
            ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "not-the-request-token-123",
        });

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => identity.RequestIdTokenAsync("vault", CancellationToken.None));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-request-token-123", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestIdTokenAsync_NoPlatform_UsageErrorSayingWhatToConfigure()
    {
        var identity = Create([]);

        var error = await Assert.ThrowsAsync<UsageException>(() => identity.RequestIdTokenAsync("vault", CancellationToken.None));

        Assert.Contains("id-token: write", error.Message, StringComparison.Ordinal);
        Assert.Contains("--jwt-env", error.Message, StringComparison.Ordinal);
    }

    private static CiWorkloadIdentity Create(Dictionary<string, string> environment, string? serviceConnection = null)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(CiWorkloadIdentity.HttpClientName);
        var provider = services.BuildServiceProvider();
        return new CiWorkloadIdentity(
            name => environment.GetValueOrDefault(name),
            provider.GetRequiredService<IHttpClientFactory>(),
            NullLogger<CiWorkloadIdentity>.Instance,
            serviceConnection);
    }
}
