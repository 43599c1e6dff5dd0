using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;

namespace PipelinePki.Ci;

/// <summary>
/// The CI run's OIDC ID token, asked from the platform that runs us: GitHub Actions
/// (<c>ACTIONS_ID_TOKEN_REQUEST_URL</c> + <c>ACTIONS_ID_TOKEN_REQUEST_TOKEN</c>, needs
/// <c>permissions: id-token: write</c>) or Azure Pipelines (<c>SYSTEM_OIDCREQUESTURI</c> for a service
/// connection, with <c>SYSTEM_ACCESSTOKEN</c>). GitLab hands ID tokens out as variables
/// (<c>id_tokens:</c>), which the caller reads by name instead.
/// </summary>
/// <param name="azureServiceConnectionId">The Azure service connection whose federated identity the token is for.</param>
public sealed class CiWorkloadIdentity(
    Func<string, string?> getVariable,
    IHttpClientFactory httpClients,
    ILogger<CiWorkloadIdentity> logger,
    string? azureServiceConnectionId = null) : IWorkloadIdentity
{
    public const string HttpClientName = "PipelinePki.Ci.WorkloadIdentity";

    /// <summary>The REST API version of Azure DevOps' OIDC token endpoint (distributedtask/oidctoken).</summary>
    public const string AzureApiVersion = "7.1-preview.1";

    public async Task<string> RequestIdTokenAsync(string audience, CancellationToken cancellationToken)
    {
        if (Get("ACTIONS_ID_TOKEN_REQUEST_URL") is { } githubUrl)
        {
            var bearer = Get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
                ?? throw new UsageException("ACTIONS_ID_TOKEN_REQUEST_URL is set but ACTIONS_ID_TOKEN_REQUEST_TOKEN is not; give the job 'permissions: id-token: write'.");
            var separator = githubUrl.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var url = new Uri($"{githubUrl}{separator}audience={Uri.EscapeDataString(audience)}");
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            request.Headers.Accept.ParseAdd("application/json");
            var body = await SendAsync(request, "GitHub Actions", cancellationToken);
            return Token(Parse(body, CiIdentityJson.Default.GitHubIdToken, url)?.Value, url, "GitHub Actions");
        }

        if (Get("SYSTEM_OIDCREQUESTURI") is { } azureUrl)
        {
            var bearer = Get("SYSTEM_ACCESSTOKEN")
                ?? throw new UsageException("SYSTEM_OIDCREQUESTURI is set but SYSTEM_ACCESSTOKEN is not; map it into the step's env (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)).");
            var connection = azureServiceConnectionId ?? Get("PIPELINE_PKI_SERVICE_CONNECTION_ID")
                ?? throw new UsageException("Azure Pipelines issues ID tokens per service connection: pass --service-connection ID (or set PIPELINE_PKI_SERVICE_CONNECTION_ID).");
            var separator = azureUrl.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var url = new Uri($"{azureUrl}{separator}api-version={AzureApiVersion}&serviceConnectionId={Uri.EscapeDataString(connection)}");
            using var request = new HttpRequestMessage(HttpMethod.Post, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            request.Headers.Accept.ParseAdd("application/json");
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            if (audience != "api://AzureADTokenExchange")
            {
                logger.LogDebug("Azure Pipelines sets the audience itself (api://AzureADTokenExchange); '{Audience}' is not sent", audience);
            }

            var body = await SendAsync(request, "Azure Pipelines", cancellationToken);
            return Token(Parse(body, CiIdentityJson.Default.AzureIdToken, url)?.OidcToken, url, "Azure Pipelines");
        }

        throw new UsageException("no CI ID token available: on GitHub Actions give the job 'permissions: id-token: write'; on Azure Pipelines run in a pipeline with SYSTEM_OIDCREQUESTURI; on GitLab CI declare id_tokens and pass --jwt-env NAME.");
    }

    private async Task<byte[]> SendAsync(HttpRequestMessage request, string platform, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(HttpClientName);
        var where = request.RequestUri!.GetLeftPart(UriPartial.Path);
        try
        {
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new RemoteFailureException(where, $"{platform} refused the ID token request: {request.Method} {where} answered {(int)response.StatusCode}; check the job's OIDC permissions.");
            }

            return body;
        }
        catch (HttpRequestException e)
        {
            throw new RemoteFailureException(where, $"{platform} ID token request failed: {request.Method} {where}: {e.Message}.", e);
        }
    }

    private static T? Parse<T>(byte[] body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Uri url)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException e)
        {
            throw new RemoteFailureException(url.GetLeftPart(UriPartial.Path), $"the ID token service at {url.GetLeftPart(UriPartial.Path)} answered with JSON we cannot read ({e.Message}).", e);
        }
    }

    private static string Token(string? value, Uri url, string platform) =>
        string.IsNullOrEmpty(value)
            ? throw new RemoteFailureException(url.GetLeftPart(UriPartial.Path), $"{platform} answered the ID token request at {url.GetLeftPart(UriPartial.Path)} without a token.")
            : value;

    private string? Get(string name) => getVariable(name) is { Length: > 0 } value ? value : null;
}

internal sealed record GitHubIdToken(string? Value);

internal sealed record AzureIdToken(string? OidcToken);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GitHubIdToken))]
[JsonSerializable(typeof(AzureIdToken))]
internal sealed partial class CiIdentityJson : JsonSerializerContext;
