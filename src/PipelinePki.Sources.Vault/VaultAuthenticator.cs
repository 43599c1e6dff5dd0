using System.Text.Json;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;

namespace PipelinePki.Sources.Vault;

/// <summary>Turns the configured authentication into a Vault token, once per source (a login is a request).</summary>
internal sealed class VaultAuthenticator(VaultApi api, VaultOptions options, ILogger<VaultAuthenticator> logger)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private string? token;

    public async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (token is not null)
        {
            return token;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            token ??= await LoginAsync(cancellationToken);
            return token;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<string> LoginAsync(CancellationToken cancellationToken)
    {
        switch (options.Authentication)
        {
            case VaultTokenAuthentication given:
                var value = await given.Token.Read(cancellationToken);
                api.Redactor.Add(value);
                return value;
            case VaultAppRoleAuthentication appRole:
                var roleId = await appRole.RoleId.Read(cancellationToken);
                var secretId = await appRole.SecretId.Read(cancellationToken);
                api.Redactor.Add(secretId);
                return await LoginWithAsync(appRole.Mount, JsonSerializer.SerializeToUtf8Bytes(new VaultAppRoleLogin(roleId, secretId), VaultJson.Default.VaultAppRoleLogin), cancellationToken);
            case VaultJwtAuthentication jwt:
                var idToken = await jwt.Jwt.Read(cancellationToken);
                api.Redactor.Add(idToken);
                return await LoginWithAsync(jwt.Mount, JsonSerializer.SerializeToUtf8Bytes(new VaultJwtLogin(jwt.Role, idToken), VaultJson.Default.VaultJwtLogin), cancellationToken);
            default:
                throw new UsageException("no Vault authentication configured: give a token (--token-env/--token-file), AppRole or JWT options.");
        }
    }

    private async Task<string> LoginWithAsync(string mount, byte[] body, CancellationToken cancellationToken)
    {
        var method = options.Authentication.MethodName;
        var reply = await api.SendAsync(new VaultCall($"{method} login", HttpMethod.Post, $"auth/{mount.Trim('/')}/login", body, IsLogin: true), cancellationToken);
        var login = api.Parse(reply, VaultJson.Default.VaultLoginEnvelope, $"{method} login");
        var clientToken = login.Auth?.ClientToken;
        if (string.IsNullOrEmpty(clientToken))
        {
            throw new RemoteFailureException(reply.Url.AbsoluteUri, $"Vault {method} login failed: POST {reply.Url.AbsoluteUri} answered without auth.client_token; check --auth-mount '{mount}'.");
        }

        api.Redactor.Add(clientToken);
        logger.LogDebug("logged in to Vault with {Method} at auth/{Mount}; token valid for {Seconds} s", method, mount, login.Auth?.LeaseDuration);
        return clientToken;
    }
}
