using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;

namespace PipelinePki.TestKit.Vault;

/// <summary>A PKI role as the stand-in enforces it (a small subset of Vault's role fields).</summary>
public sealed record VaultRoleConfig(string Name, IReadOnlyList<string> AllowedDomains, bool AllowSubdomains = true, bool AllowIpSans = true, bool AllowUriSans = true);

/// <summary>One scripted misbehaviour for the next matching request.</summary>
public abstract record VaultFault(string PathPrefix)
{
    /// <summary>Answer with this status and Vault's error shape, optionally with Retry-After (seconds).</summary>
    public sealed record Status(string Prefix, int Code, string? Error = null, int? RetryAfterSeconds = null) : VaultFault(Prefix);

    /// <summary>Close the connection without an answer.</summary>
    public sealed record Drop(string Prefix) : VaultFault(Prefix);

    /// <summary>Wait this long (real time) before answering normally.</summary>
    public sealed record Slow(string Prefix, TimeSpan Delay) : VaultFault(Prefix);
}

/// <summary>What the stand-in saw of one request (never the token value itself: only whether it was the right one).</summary>
public sealed record VaultSeenRequest(string Method, string Path, string? Namespace, string? WrapTtl, string? Token, DateTimeOffset At, string Body);

public sealed class VaultStandInOptions
{
    public string RootToken { get; init; } = "hvs." + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant() + "standin";

    public string Mount { get; init; } = "pki";

    public string? Namespace { get; init; }

    public VaultRoleConfig Role { get; init; } = new("ci", ["example.internal"]);

    public string AppRoleMount { get; init; } = "approle";

    public string? AppRoleRoleId { get; init; }

    public string? AppRoleSecretId { get; init; }

    public string JwtMount { get; init; } = "jwt";

    public string JwtRole { get; init; } = "ci";

    /// <summary>JWTs the JWT auth method accepts (the stand-in does not check signatures: it stands in for the validation).</summary>
    public IReadOnlyList<string> AcceptedJwts { get; init; } = [];

    /// <summary>Serve HTTPS with a certificate from <see cref="ServerCertificate"/>; require a client certificate issued by <see cref="ClientCa"/> when set.</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>The client CA's root (and intermediates) that a client certificate must chain to.</summary>
    public X509Certificate2Collection? ClientCa { get; init; }

    /// <summary>Intermediates sent after the server certificate.</summary>
    public X509Certificate2Collection? ServerCertificateChain { get; init; }

    /// <summary>A standby node: every request is answered 307 to this active node's address.</summary>
    public Uri? RedirectTo { get; init; }

    /// <summary>Every request is answered 503 "Vault is sealed".</summary>
    public bool Sealed { get; set; }

    /// <summary>Put the root in ca_chain (Vault does when the mount holds the root, or the chain was imported).</summary>
    public bool IncludeRootInChain { get; init; } = true;

    /// <summary>Clock for request timestamps (tests pin retry schedules with a fake one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>
/// An in-process stand-in for HashiCorp Vault (no package exists here) on 127.0.0.1, following the
/// documented HTTP API of the PKI secrets engine and the auth methods a pipeline uses:
/// <c>/v1/{mount}/sign/:role</c>, <c>issue/:role</c>, <c>revoke</c>, <c>cert/:serial</c>, <c>ca_chain</c>,
/// <c>crl</c>, <c>auth/token</c> (X-Vault-Token), <c>auth/approle/login</c>, <c>auth/jwt/login</c>,
/// <c>sys/wrapping/unwrap</c>, <c>X-Vault-Namespace</c>, <c>X-Vault-Wrap-TTL</c>, <c>{"errors":[…]}</c>,
/// 503 when sealed and 307 from a standby. It signs with a real throwaway two-tier CA.
/// </summary>
public sealed class VaultStandIn : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly VaultStandInOptions options;
    private readonly LocalAuthority authority;
    private readonly ConcurrentDictionary<string, byte> tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> wrapped = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<VaultFault> faults = new();
    private readonly ConcurrentQueue<VaultSeenRequest> seen = new();
    private readonly CancellationTokenSource stopping = new();

    private VaultStandIn(WebApplication app, VaultStandInOptions options, LocalAuthority authority, Uri address)
    {
        this.app = app;
        this.options = options;
        this.authority = authority;
        Address = address;
        tokens[options.RootToken] = 0;
    }

    /// <summary>http(s)://127.0.0.1:PORT — what VAULT_ADDR would be.</summary>
    public Uri Address { get; }

    /// <summary><see cref="Address"/> without the trailing slash, as clients print URLs built on it.</summary>
    public string Url => Address.AbsoluteUri.TrimEnd('/');

    public VaultStandInOptions Options => options;

    /// <summary>The CA that signs: root.pem and intermediate.pem for the judges.</summary>
    public LocalAuthority Authority => authority;

    public string RootCertificatePath => authority.Home.RootCertificatePath;

    public IReadOnlyList<VaultSeenRequest> Requests => seen.ToList();

    public void Enqueue(VaultFault fault) => faults.Enqueue(fault);

    /// <summary>Starts a stand-in whose CA lives in <paramref name="caHome"/> (created when missing).</summary>
    public static async Task<VaultStandIn> StartAsync(string caHome, VaultStandInOptions? options = null)
    {
        options ??= new VaultStandInOptions();
        var authority = File.Exists(Path.Combine(caHome, "ca.json"))
            ? new LocalAuthority(LocalCaHome.Open(caHome), () => null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalAuthority>.Instance)
            : await ThrowawayCa.CreateAsync(caHome, TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (options.ServerCertificate is { } serverCertificate)
            {
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = serverCertificate;
                    https.ServerCertificateChain = options.ServerCertificateChain;
                    if (options.ClientCa is { } clientCa)
                    {
                        https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                        https.ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, clientCa);
                    }
                });
            }
        }));
        var web = builder.Build();
        VaultStandIn? standIn = null;
        web.Run(context => standIn!.HandleAsync(context));
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        standIn = new VaultStandIn(web, options, authority, new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/')));
        return standIn;
    }

    /// <summary>A TLS server certificate for 127.0.0.1 from <paramref name="ca"/>, with its key, for <see cref="VaultStandInOptions.ServerCertificate"/>.</summary>
    public static Task<X509Certificate2> ServerCertificateAsync(LocalAuthority ca) =>
        CertificateWithKeyAsync(ca, "vault.standin", CertificateProfile.Server, "ip:127.0.0.1", "dns:localhost");

    /// <summary>The issuing intermediate of <paramref name="ca"/>, to send after a server certificate.</summary>
    public static X509Certificate2Collection IntermediateOf(LocalAuthority ca) =>
        [X509CertificateLoader.LoadCertificateFromFile(ca.Home.IntermediateCertificatePath)];

    /// <summary>Root and intermediate of <paramref name="ca"/>, for <see cref="VaultStandInOptions.ClientCa"/>.</summary>
    public static X509Certificate2Collection AuthoritiesOf(LocalAuthority ca) =>
    [
        X509CertificateLoader.LoadCertificateFromFile(ca.Home.RootCertificatePath),
        X509CertificateLoader.LoadCertificateFromFile(ca.Home.IntermediateCertificatePath),
    ];

    /// <summary>A certificate with its key (PKCS#12 round trip, as Kestrel and SslStream want on Linux).</summary>
    public static async Task<X509Certificate2> CertificateWithKeyAsync(LocalAuthority ca, string name, CertificateProfile profile, params string[] sans)
    {
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(name, profile, KeySpec.EcdsaP256, null, sans), CancellationToken.None);
        using var withKey = X509Certificate2.CreateFromPem(
            Pem.Encode("CERTIFICATE", issued.Certificate.RawData),
            PrivateKeyCodec.ToPem(issued.PrivateKey!));
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
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

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var path = (request.Path.Value ?? "/").TrimStart('/');
        var token = request.Headers["X-Vault-Token"].FirstOrDefault();
        var wrapTtl = request.Headers["X-Vault-Wrap-TTL"].FirstOrDefault();
        seen.Enqueue(new VaultSeenRequest(request.Method, path, request.Headers["X-Vault-Namespace"].FirstOrDefault(), wrapTtl, token, options.Clock.GetUtcNow(), body));

        if (options.RedirectTo is { } active)
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = new Uri(active, "/" + path + request.QueryString).AbsoluteUri;
            return;
        }

        if (options.Sealed)
        {
            await ErrorAsync(context, 503, "Vault is sealed");
            return;
        }

        if (faults.TryPeek(out var fault) && path.StartsWith("v1/" + fault.PathPrefix.TrimStart('/'), StringComparison.Ordinal) && faults.TryDequeue(out fault))
        {
            switch (fault)
            {
                case VaultFault.Status status:
                    if (status.RetryAfterSeconds is { } seconds)
                    {
                        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    await ErrorAsync(context, status.Code, status.Error);
                    return;
                case VaultFault.Drop:
                    context.Abort();
                    return;
                case VaultFault.Slow slow:
                    try
                    {
                        await Task.Delay(slow.Delay, CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping.Token).Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    break;
            }
        }

        if (!path.StartsWith("v1/", StringComparison.Ordinal))
        {
            await ErrorAsync(context, 404, null);
            return;
        }

        path = path[3..];
        if (path == "sys/wrapping/unwrap" && HttpMethods.IsPost(request.Method))
        {
            if (token is not null && wrapped.TryRemove(token, out var original))
            {
                await JsonAsync(context, 200, original);
            }
            else
            {
                await ErrorAsync(context, 400, "wrapping token is not valid or does not exist");
            }

            return;
        }

        if (options.Namespace is { } ns && request.Headers["X-Vault-Namespace"].FirstOrDefault()?.Trim('/') != ns.Trim('/'))
        {
            // Outside the namespace the mount does not exist.
            await ErrorAsync(context, 404, $"no handler for route \"{path}\". route entry not found.");
            return;
        }

        if (path == $"auth/{options.AppRoleMount}/login" && HttpMethods.IsPost(request.Method))
        {
            var login = JsonNode.Parse(body);
            if (options.AppRoleRoleId is not null && (string?)login?["role_id"] == options.AppRoleRoleId && (string?)login?["secret_id"] == options.AppRoleSecretId)
            {
                await LoginAsync(context);
            }
            else
            {
                await ErrorAsync(context, 400, "invalid role or secret ID");
            }

            return;
        }

        if (path == $"auth/{options.JwtMount}/login" && HttpMethods.IsPost(request.Method))
        {
            var login = JsonNode.Parse(body);
            var role = (string?)login?["role"];
            var jwt = (string?)login?["jwt"];
            if (role != options.JwtRole)
            {
                await ErrorAsync(context, 400, $"role \"{role}\" could not be found");
            }
            else if (jwt is null || !options.AcceptedJwts.Contains(jwt))
            {
                await ErrorAsync(context, 400, "error validating token: invalid audience (aud) claim");
            }
            else
            {
                await LoginAsync(context);
            }

            return;
        }

        var mount = options.Mount.Trim('/') + "/";
        if (!path.StartsWith(mount, StringComparison.Ordinal))
        {
            await ErrorAsync(context, 404, $"no handler for route \"{path}\". route entry not found.");
            return;
        }

        var operation = path[mount.Length..];
        if (HttpMethods.IsGet(request.Method) && operation == "ca_chain")
        {
            // Unauthenticated, PEM, not JSON (Vault's "Read issuer chain").
            var chain = File.ReadAllText(authority.Home.IntermediateCertificatePath) + File.ReadAllText(authority.Home.RootCertificatePath);
            context.Response.ContentType = "application/pem-certificate-chain";
            await context.Response.WriteAsync(chain, context.RequestAborted);
            return;
        }

        if (HttpMethods.IsGet(request.Method) && operation == "crl")
        {
            var crl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(1)), context.RequestAborted);
            context.Response.ContentType = "application/pkix-crl";
            await context.Response.Body.WriteAsync(crl.Der, context.RequestAborted);
            return;
        }

        if (HttpMethods.IsGet(request.Method) && operation.StartsWith("cert/", StringComparison.Ordinal))
        {
            await ReadCertificateAsync(context, operation["cert/".Length..]);
            return;
        }

        if (token is null || !tokens.ContainsKey(token))
        {
            await ErrorAsync(context, 403, "permission denied");
            return;
        }

        if (HttpMethods.IsPost(request.Method) && (operation == $"sign/{options.Role.Name}" || operation == $"issue/{options.Role.Name}"))
        {
            await SignOrIssueAsync(context, body, generateKey: operation.StartsWith("issue/", StringComparison.Ordinal), wrapTtl);
            return;
        }

        if (HttpMethods.IsPost(request.Method) && (operation.StartsWith("sign/", StringComparison.Ordinal) || operation.StartsWith("issue/", StringComparison.Ordinal)))
        {
            await ErrorAsync(context, 400, $"unknown role: {operation[(operation.IndexOf('/', StringComparison.Ordinal) + 1)..]}");
            return;
        }

        if (HttpMethods.IsPost(request.Method) && operation == "revoke")
        {
            await RevokeAsync(context, body);
            return;
        }

        await ErrorAsync(context, 404, $"no handler for route \"{path}\". route entry not found.");
    }

    private async Task SignOrIssueAsync(HttpContext context, string body, bool generateKey, string? wrapTtl)
    {
        var json = JsonNode.Parse(body) ?? new JsonObject();
        var commonName = (string?)json["common_name"] ?? string.Empty;
        var names = new List<SubjectAlternativeName>();
        foreach (var dns in Split((string?)json["alt_names"]))
        {
            names.Add(dns.Contains('@', StringComparison.Ordinal) ? SubjectAlternativeName.Email(dns) : SubjectAlternativeName.Dns(dns));
        }

        foreach (var dns in names.Where(n => n.Type == SanType.Dns).Select(n => n.Value).Prepend(commonName))
        {
            if (!Allowed(dns))
            {
                var what = dns == commonName ? "common name" : "subject alternate name";
                await ErrorAsync(context, 400, $"{what} {dns} not allowed by this role");
                return;
            }
        }

        var ips = Split((string?)json["ip_sans"]).ToList();
        if (ips.Count > 0 && !options.Role.AllowIpSans)
        {
            await ErrorAsync(context, 400, "IP Subject Alternative Names are not allowed in this role, but was provided " + string.Join(',', ips));
            return;
        }

        names.AddRange(ips.Select(SubjectAlternativeName.Ip));
        names.AddRange(Split((string?)json["uri_sans"]).Select(SubjectAlternativeName.Uri));
        if (!names.Any(n => n.Type == SanType.Dns && n.Value == commonName))
        {
            // Vault adds the common name to the DNS SANs unless exclude_cn_from_sans is set.
            names.Insert(0, SubjectAlternativeName.Dns(commonName));
        }

        var ttl = ParseTtl((string?)json["ttl"]) ?? TimeSpan.FromHours(24);
        CertificationRequestInput? csr = null;
        if (!generateKey)
        {
            var pem = (string?)json["csr"];
            if (string.IsNullOrEmpty(pem))
            {
                await ErrorAsync(context, 400, "\"csr\" is empty");
                return;
            }

            csr = new CertificationRequestInput(Encoding.ASCII.GetBytes(pem), "csr");
        }

        IssuedCertificate issued;
        try
        {
            issued = await authority.IssueAsync(
                new IssueRequest(commonName, names, CertificateProfile.Mtls, ttl, KeySpec.EcdsaP256, ThrowawayCa.TestRequester, csr),
                context.RequestAborted);
        }
        catch (Core.PipelinePkiException e)
        {
            await ErrorAsync(context, 400, e.Message);
            return;
        }

        using (issued)
        {
            var intermediate = Pem.Encode("CERTIFICATE", issued.Chain[0].RawData);
            var chain = new JsonArray(intermediate);
            if (options.IncludeRootInChain && issued.Root is not null)
            {
                chain.Add(Pem.Encode("CERTIFICATE", issued.Root.RawData));
            }

            var data = new JsonObject
            {
                ["certificate"] = Pem.Encode("CERTIFICATE", issued.Certificate.RawData).TrimEnd(),
                ["issuing_ca"] = intermediate.TrimEnd(),
                ["ca_chain"] = chain,
                ["serial_number"] = ColonSerial(issued.Record.Serial),
                ["expiration"] = issued.Record.NotAfter.ToUnixTimeSeconds(),
            };
            if (generateKey)
            {
                data["private_key"] = PrivateKeyCodec.ToPem(issued.PrivateKey!).TrimEnd();
                data["private_key_type"] = "ec";
            }

            // Vault keeps every certificate it issues for pki/cert/:serial.
            var store = Path.Combine(authority.Home.Directory, "vault-standin-certs");
            Directory.CreateDirectory(store);
            await File.WriteAllTextAsync(Path.Combine(store, issued.Record.Serial + ".pem"), Pem.Encode("CERTIFICATE", issued.Certificate.RawData));
            var response = Envelope(data).ToJsonString();
            if (wrapTtl is not null)
            {
                var wrappingToken = "hvs.wrap" + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant();
                wrapped[wrappingToken] = response;
                var envelope = Envelope(null);
                envelope["wrap_info"] = new JsonObject
                {
                    ["token"] = wrappingToken,
                    ["ttl"] = ParseTtl(wrapTtl) is { } w ? (long)w.TotalSeconds : 300,
                    ["creation_time"] = DateTimeOffset.UtcNow.ToString("O"),
                    ["creation_path"] = context.Request.Path.Value!.TrimStart('/')[3..],
                };
                response = envelope.ToJsonString();
            }

            await JsonAsync(context, 200, response);
        }
    }

    private async Task RevokeAsync(HttpContext context, string body)
    {
        var serial = (string?)JsonNode.Parse(body)?["serial_number"];
        if (string.IsNullOrEmpty(serial))
        {
            await ErrorAsync(context, 400, "the serial number must be provided");
            return;
        }

        try
        {
            var record = await authority.RevokeAsync(new RevokeRequest(serial, "unspecified"), context.RequestAborted);
            await JsonAsync(context, 200, Envelope(new JsonObject
            {
                ["revocation_time"] = record.RevokedAt!.Value.ToUnixTimeSeconds(),
                ["revocation_time_rfc3339"] = record.RevokedAt!.Value.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                ["state"] = "revoked",
            }).ToJsonString());
        }
        catch (Core.PipelinePkiException)
        {
            await ErrorAsync(context, 400, $"certificate with serial {serial} not found");
        }
    }

    private async Task ReadCertificateAsync(HttpContext context, string serial)
    {
        var normalized = InventoryStore.NormalizeSerial(serial);
        using var inventory = InventoryStore.Open(authority.Home.InventoryPath);
        var record = inventory.Find(normalized);
        var path = Path.Combine(authority.Home.Directory, "vault-standin-certs", normalized + ".pem");
        if (record is null || !File.Exists(path))
        {
            await ErrorAsync(context, 404, null);
            return;
        }

        await JsonAsync(context, 200, Envelope(new JsonObject { ["certificate"] = await File.ReadAllTextAsync(path) }).ToJsonString());
    }

    private async Task LoginAsync(HttpContext context)
    {
        var token = "hvs." + Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant() + "login";
        tokens[token] = 0;
        var envelope = Envelope(null);
        envelope["auth"] = new JsonObject
        {
            ["client_token"] = token,
            ["accessor"] = Guid.NewGuid().ToString(),
            ["policies"] = new JsonArray("default", "pki-ci"),
            ["lease_duration"] = 1200,
            ["renewable"] = true,
        };
        await JsonAsync(context, 200, envelope.ToJsonString());
    }

    private bool Allowed(string dnsName) =>
        options.Role.AllowedDomains.Any(domain =>
            string.Equals(dnsName, domain, StringComparison.OrdinalIgnoreCase)
            || (options.Role.AllowSubdomains && dnsName.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase)));

    private static JsonObject Envelope(JsonObject? data) => new()
    {
        ["request_id"] = Guid.NewGuid().ToString(),
        ["lease_id"] = string.Empty,
        ["renewable"] = false,
        ["lease_duration"] = 0,
        ["data"] = data,
        ["wrap_info"] = null,
        ["warnings"] = null,
        ["auth"] = null,
    };

    private static async Task JsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    private static Task ErrorAsync(HttpContext context, int status, string? error) =>
        JsonAsync(context, status, JsonSerializer.Serialize(new Dictionary<string, string[]> { ["errors"] = error is null ? [] : [error] }));

    private static IEnumerable<string> Split(string? list) =>
        (list ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static TimeSpan? ParseTtl(string? ttl)
    {
        if (string.IsNullOrEmpty(ttl))
        {
            return null;
        }

        if (long.TryParse(ttl, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return Core.Durations.Parse(ttl, "ttl");
    }

    private static string ColonSerial(string hex) =>
        string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2).ToLowerInvariant()));

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        foreach (var authority in authorities)
        {
            (authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData) ? chain.ChainPolicy.CustomTrustStore : chain.ChainPolicy.ExtraStore).Add(authority);
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
