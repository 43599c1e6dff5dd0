using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PipelinePki.Ci;
using PipelinePki.Core;
using PipelinePki.Sources.Vault;

namespace PipelinePki.Cli.Commands;

/// <summary>
/// The options that describe a Vault PKI mount and how to log in to it, shared by <c>cert issue</c>,
/// <c>ca revoke</c> and <c>ca fetch</c> with <c>--source vault</c>. Secrets are named (a variable or a
/// file), never given on the command line.
/// </summary>
internal sealed class VaultCommandOptions
{
    public const string DefaultTokenVariable = "VAULT_TOKEN";

    public Option<string?> Address { get; } = new("--vault-addr") { Description = "Vault's address, e.g. https://vault.example.internal:8200 (default $VAULT_ADDR)." };

    public Option<string> Mount { get; } = new("--mount") { Description = "Path of the PKI secrets engine.", DefaultValueFactory = _ => "pki" };

    public Option<string?> Role { get; } = new("--role") { Description = "Vault PKI role to issue with (decides names, TTL and key type)." };

    public Option<string?> Namespace { get; } = new("--namespace") { Description = "Vault Enterprise namespace, sent as X-Vault-Namespace (default $VAULT_NAMESPACE)." };

    public Option<string?> CaFile { get; } = new("--vault-ca") { Description = "PEM file with the CA of Vault's own TLS certificate (default $VAULT_CACERT, else the system store)." };

    public Option<string?> ClientCertificate { get; } = new("--vault-client-cert") { Description = "Client certificate (PEM) for a Vault listener that requires mutual TLS." };

    public Option<string?> ClientKey { get; } = new("--vault-client-key") { Description = "Key (PEM) of --vault-client-cert." };

    public Option<bool> GenerateKey { get; } = new("--vault-generate-key") { Description = "Let Vault generate the key (pki/issue) instead of signing a CSR for a key made here (pki/sign)." };

    public Option<string> TokenEnv { get; } = new("--token-env") { Description = "Environment variable holding a Vault token.", DefaultValueFactory = _ => DefaultTokenVariable };

    public Option<string?> TokenFile { get; } = new("--token-file") { Description = "File holding a Vault token (instead of --token-env)." };

    public Option<string?> RoleIdEnv { get; } = new("--approle-role-id-env") { Description = "AppRole login: environment variable holding the role_id." };

    public Option<string?> RoleIdFile { get; } = new("--approle-role-id-file") { Description = "AppRole login: file holding the role_id." };

    public Option<string?> SecretIdEnv { get; } = new("--approle-secret-id-env") { Description = "AppRole login: environment variable holding the secret_id." };

    public Option<string?> SecretIdFile { get; } = new("--approle-secret-id-file") { Description = "AppRole login: file holding the secret_id." };

    public Option<string?> AuthMount { get; } = new("--auth-mount") { Description = "Path of the auth method (default approle or jwt)." };

    public Option<string?> JwtRole { get; } = new("--jwt-role") { Description = "JWT/OIDC login with the CI run's ID token, as this Vault role." };

    public Option<string?> JwtEnv { get; } = new("--jwt-env") { Description = "JWT login: environment variable holding the ID token (GitLab id_tokens); default: ask the CI platform." };

    public Option<string> Audience { get; } = new("--audience") { Description = "JWT login: audience of the ID token asked from GitHub Actions.", DefaultValueFactory = _ => "vault" };

    public Option<string?> ServiceConnection { get; } = new("--service-connection") { Description = "JWT login on Azure Pipelines: the service connection id the ID token is for." };

    public Option<string?> WrapTtl { get; } = new("--wrap-ttl") { Description = "Ask Vault to wrap the answer in a single-use token for this long (X-Vault-Wrap-TTL); unwrapped at once." };

    public Option<string> Timeout { get; } = new("--vault-timeout") { Description = "Time allowed for each Vault operation, retries included.", DefaultValueFactory = _ => "60s" };

    public void AddTo(Command command, bool issuing)
    {
        command.Options.Add(Address);
        command.Options.Add(Mount);
        command.Options.Add(Namespace);
        command.Options.Add(CaFile);
        command.Options.Add(ClientCertificate);
        command.Options.Add(ClientKey);
        command.Options.Add(TokenEnv);
        command.Options.Add(TokenFile);
        command.Options.Add(RoleIdEnv);
        command.Options.Add(RoleIdFile);
        command.Options.Add(SecretIdEnv);
        command.Options.Add(SecretIdFile);
        command.Options.Add(AuthMount);
        command.Options.Add(JwtRole);
        command.Options.Add(JwtEnv);
        command.Options.Add(Audience);
        command.Options.Add(ServiceConnection);
        command.Options.Add(Timeout);
        if (issuing)
        {
            command.Options.Add(Role);
            command.Options.Add(GenerateKey);
            command.Options.Add(WrapTtl);
        }
    }

    /// <summary>Builds the source's options from what was parsed; no secret is read yet.</summary>
    public VaultOptions Build(CliApp app, ParseResult parse, string? inventoryPath)
    {
        var address = parse.GetValue(Address) ?? Env(app, "VAULT_ADDR")
            ?? throw new UsageException("--vault-addr: give Vault's address (or set VAULT_ADDR), e.g. https://vault.example.internal:8200.");
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri))
        {
            throw new UsageException($"--vault-addr: '{address}' is not a URL (for example https://vault.example.internal:8200).");
        }

        var wrap = parse.GetValue(WrapTtl);
        return new VaultOptions
        {
            Address = uri,
            Mount = parse.GetValue(Mount)!,
            Role = parse.GetResult(Role) is null ? null : parse.GetValue(Role),
            Namespace = parse.GetValue(Namespace) ?? Env(app, "VAULT_NAMESPACE"),
            CaFile = parse.GetValue(CaFile) ?? Env(app, "VAULT_CACERT"),
            ClientCertificateFile = parse.GetValue(ClientCertificate),
            ClientKeyFile = parse.GetValue(ClientKey),
            GenerateKey = parse.GetResult(GenerateKey) is not null && parse.GetValue(GenerateKey),
            Authentication = Authentication(app, parse),
            WrapTtl = parse.GetResult(WrapTtl) is null || wrap is null ? null : Durations.Parse(wrap, "--wrap-ttl"),
            Timeout = Durations.Parse(parse.GetValue(Timeout)!, "--vault-timeout"),
            InventoryPath = inventoryPath,
        };
    }

    public VaultSourceHost Open(CliApp app, ParseResult parse, string? inventoryPath) =>
        VaultSourceHost.Create(Build(app, parse, inventoryPath), app.Services.GetRequiredService<ILoggerFactory>(), app.Services.GetRequiredService<TimeProvider>());

    private VaultAuthentication Authentication(CliApp app, ParseResult parse)
    {
        var jwtRole = parse.GetValue(JwtRole);
        var authMount = parse.GetValue(AuthMount);
        if (jwtRole is not null)
        {
            VaultSecret jwt;
            if (parse.GetValue(JwtEnv) is { } jwtVariable)
            {
                jwt = VaultSecret.FromEnvironment(jwtVariable, app.GetEnvironmentVariable);
            }
            else
            {
                var audience = parse.GetValue(Audience)!;
                var identity = new CiWorkloadIdentity(
                    app.GetEnvironmentVariable,
                    app.Services.GetRequiredService<IHttpClientFactory>(),
                    app.Services.GetRequiredService<ILogger<CiWorkloadIdentity>>(),
                    parse.GetValue(ServiceConnection));
                jwt = new VaultSecret($"the CI platform's ID token (audience {audience})", cancellationToken => identity.RequestIdTokenAsync(audience, cancellationToken));
            }

            return new VaultJwtAuthentication(authMount ?? "jwt", jwtRole, jwt);
        }

        var roleId = Secret(app, parse, RoleIdEnv, RoleIdFile);
        var secretId = Secret(app, parse, SecretIdEnv, SecretIdFile);
        if (roleId is not null || secretId is not null)
        {
            return new VaultAppRoleAuthentication(
                authMount ?? "approle",
                roleId ?? throw new UsageException("AppRole login needs the role_id: --approle-role-id-env NAME or --approle-role-id-file PATH."),
                secretId ?? throw new UsageException("AppRole login needs the secret_id: --approle-secret-id-env NAME or --approle-secret-id-file PATH."));
        }

        return new VaultTokenAuthentication(parse.GetValue(TokenFile) is { } tokenFile
            ? VaultSecret.FromFile(tokenFile)
            : VaultSecret.FromEnvironment(parse.GetValue(TokenEnv)!, app.GetEnvironmentVariable));
    }

    private static VaultSecret? Secret(CliApp app, ParseResult parse, Option<string?> env, Option<string?> file)
    {
        var variable = parse.GetValue(env);
        var path = parse.GetValue(file);
        if (variable is not null && path is not null)
        {
            throw new UsageException($"{env.Name} and {file.Name} exclude each other: give one.");
        }

        return variable is not null ? VaultSecret.FromEnvironment(variable, app.GetEnvironmentVariable)
            : path is not null ? VaultSecret.FromFile(path)
            : null;
    }

    private static string? Env(CliApp app, string name) => app.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
