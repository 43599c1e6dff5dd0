using PipelinePki.Core;

namespace PipelinePki.Sources.Vault;

/// <summary>How to reach one Vault PKI mount and prove who we are. Validated once, before any request.</summary>
public sealed record VaultOptions
{
    public required Uri Address { get; init; }

    /// <summary>The PKI secrets engine's mount path (<c>pki</c>, <c>pki_int</c>, <c>team/pki</c>).</summary>
    public string Mount { get; init; } = "pki";

    /// <summary>The PKI role that decides what may be issued; needed to issue, not to revoke or fetch.</summary>
    public string? Role { get; init; }

    /// <summary>Vault Enterprise namespace, sent as <c>X-Vault-Namespace</c>.</summary>
    public string? Namespace { get; init; }

    /// <summary>PEM file of the CA(s) that issued Vault's own TLS certificate; the system trust store otherwise.</summary>
    public string? CaFile { get; init; }

    /// <summary>Client certificate (and key) for Vault listeners that demand mutual TLS.</summary>
    public string? ClientCertificateFile { get; init; }

    public string? ClientKeyFile { get; init; }

    /// <summary>Let Vault make the key (<c>issue</c>) instead of signing a CSR for a key made here (<c>sign</c>, the default).</summary>
    public bool GenerateKey { get; init; }

    public required VaultAuthentication Authentication { get; init; }

    /// <summary>Ask Vault to wrap the sign/issue response in a single-use token (<c>X-Vault-Wrap-TTL</c>), unwrapped at once.</summary>
    public TimeSpan? WrapTtl { get; init; }

    /// <summary>Everything one operation may take, retries included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>First retry delay ceiling; doubles per attempt up to <see cref="MaxBackoff"/> (full jitter below it).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The SQLite inventory that records what was obtained (source = vault); none when null.</summary>
    public string? InventoryPath { get; init; }

    /// <summary>The API root, <c>ADDRESS/v1/</c>.</summary>
    public Uri ApiRoot => new(Address.AbsoluteUri.TrimEnd('/') + "/v1/");

    public string MountPath => Mount.Trim('/');

    public void Validate()
    {
        if (Address.Scheme is not ("http" or "https") || !Address.IsAbsoluteUri)
        {
            throw new UsageException($"--vault-addr: '{Address}' is not an http(s) URL (for example https://vault.example.internal:8200).");
        }

        if (string.IsNullOrWhiteSpace(MountPath) || MountPath.Contains("..", StringComparison.Ordinal))
        {
            throw new UsageException($"--mount: '{Mount}' is not a mount path (for example pki or pki_int).");
        }

        if (Timeout <= TimeSpan.Zero || InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            throw new UsageException("--vault-timeout: give a positive duration (for example 30s or 2m).");
        }

        if (WrapTtl is { } wrap && wrap < TimeSpan.FromSeconds(1))
        {
            throw new UsageException("--wrap-ttl: give at least 1s.");
        }

        if ((ClientCertificateFile is null) != (ClientKeyFile is null))
        {
            throw new UsageException("--vault-client-cert and --vault-client-key go together: give both files.");
        }
    }
}

/// <summary>A secret read only when needed (a token, a secret id, a JWT), with where it comes from for error messages.</summary>
/// <param name="Origin">Where the value comes from, e.g. "environment variable VAULT_TOKEN"; never the value.</param>
public sealed record VaultSecret(string Origin, Func<CancellationToken, Task<string>> Read)
{
    public static VaultSecret FromEnvironment(string name, Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        return new($"environment variable {name}", _ =>
            getVariable(name) is { Length: > 0 } value
                ? Task.FromResult(value.Trim())
                : throw new UsageException($"environment variable {name} is empty or not set; set it, or name another with the matching --*-env option."));
    }

    public static VaultSecret FromFile(string path) => new($"file {path}", async cancellationToken =>
    {
        try
        {
            var value = (await File.ReadAllTextAsync(path, cancellationToken)).Trim();
            return value.Length > 0 ? value : throw new BadInputException($"{path}: the file is empty; it should hold the secret on one line.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read the file ({e.GetType().Name}); check the path and its permissions.", e);
        }
    });
}

/// <summary>How the source logs in to Vault.</summary>
public abstract record VaultAuthentication
{
    /// <summary>"token", "AppRole", "JWT": named in errors so a failed login says which method failed.</summary>
    public abstract string MethodName { get; }
}

/// <summary>A Vault token given to us (<c>X-Vault-Token</c>), no login.</summary>
public sealed record VaultTokenAuthentication(VaultSecret Token) : VaultAuthentication
{
    public override string MethodName => "token";
}

/// <summary>AppRole login: <c>POST auth/&lt;mount&gt;/login</c> with role_id and secret_id.</summary>
public sealed record VaultAppRoleAuthentication(string Mount, VaultSecret RoleId, VaultSecret SecretId) : VaultAuthentication
{
    public override string MethodName => "AppRole";
}

/// <summary>JWT/OIDC login: <c>POST auth/&lt;mount&gt;/login</c> with a role and the CI run's ID token.</summary>
public sealed record VaultJwtAuthentication(string Mount, string Role, VaultSecret Jwt) : VaultAuthentication
{
    public override string MethodName => "JWT";
}
