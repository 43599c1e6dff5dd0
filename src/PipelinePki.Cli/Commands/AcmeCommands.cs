using System.CommandLine;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Core;
using PipelinePki.Sources.Acme;

namespace PipelinePki.Cli.Commands;

/// <summary>The options every ACME command shares (also added to <c>cert issue</c> for <c>--source acme</c>).</summary>
internal sealed class AcmeCliOptions
{
    public const string DefaultStateSubdirectory = "acme";

    private readonly Option<string?> directory = new("--acme-directory") { Description = "The ACME CA's directory URL (RFC 8555 §7.1.1)." };
    private readonly Option<string?> caBundle = new("--acme-ca-bundle") { Description = "PEM bundle trusted for the ACME server's own TLS (default: the system trust store)." };
    private readonly Option<string[]> email = new("--acme-email") { Description = "Account contact (mailto:), repeatable; used when the account is created." };
    private readonly Option<string?> state = new("--state") { Description = $"Account keys (0600) and the ACME inventory (default ${CommandKit.HomeVariable}/acme, else ./.pipeline-pki/acme)." };
    private readonly Option<int> httpPort = new("--http-port") { Description = "Port of the in-process http-01 responder (the CA must reach it; public CAs connect to 80).", DefaultValueFactory = _ => 5002 };
    private readonly Option<string> httpBind = new("--http-bind") { Description = "Address the http-01 responder binds.", DefaultValueFactory = _ => "0.0.0.0" };
    private readonly Option<string?> dnsHook = new("--dns-hook") { Description = "Use dns-01: this command is run as 'CMD add|remove RECORD VALUE' (see README)." };
    private readonly Option<string?> eabKid = new("--eab-kid") { Description = "External account binding key id, from the CA." };
    private readonly Option<string?> eabHmacEnv = new("--eab-hmac-env") { Description = "Name of the environment variable holding the EAB MAC key (base64url)." };
    private readonly Option<string?> preferredChain = new("--acme-preferred-chain") { Description = "Prefer the chain (default or alternate) issued by this CN." };
    private readonly Option<string> accountKeyType = new("--acme-account-key-type") { Description = "Account key for a new account: ecdsa-p384 (ES384, default) or ecdsa-p256 (ES256).", DefaultValueFactory = _ => AccountKey.DefaultKeyType };
    private readonly Option<string> timeout = new("--acme-timeout") { Description = "Deadline for the whole ACME exchange, retries and validation included.", DefaultValueFactory = _ => "5m" };

    private bool issuance;

    public AcmeCliOptions()
    {
        accountKeyType.AcceptOnlyFromAmong("ecdsa-p256", "ecdsa-p384");
    }

    public void AddTo(Command command, bool forIssuance)
    {
        command.Options.Add(directory);
        command.Options.Add(caBundle);
        command.Options.Add(state);
        command.Options.Add(timeout);
        command.Options.Add(email);
        command.Options.Add(eabKid);
        command.Options.Add(eabHmacEnv);
        command.Options.Add(accountKeyType);
        issuance = forIssuance;
        if (forIssuance)
        {
            command.Options.Add(httpPort);
            command.Options.Add(httpBind);
            command.Options.Add(dnsHook);
            command.Options.Add(preferredChain);
        }
    }

    public AcmeSource CreateSource(CliApp app, ParseResult parse)
    {
        var url = parse.GetValue(directory) ?? throw new UsageException("--acme-directory is required with ACME (the CA's directory URL).");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var directoryUrl))
        {
            throw new UsageException($"--acme-directory: '{url}' is not an absolute URL.");
        }

        string? macKey = null;
        if (parse.GetValue(eabHmacEnv) is { } variable)
        {
            macKey = app.GetEnvironmentVariable(variable) is { Length: > 0 } value
                ? value
                : throw new BadInputException($"--eab-hmac-env: the environment variable {variable} is empty or unset; export the EAB MAC key your CA issued into it.");
        }

        var defaults = new AcmeSourceOptions { DirectoryUrl = directoryUrl, StateDirectory = "." };
        var options = new AcmeSourceOptions
        {
            DirectoryUrl = directoryUrl,
            StateDirectory = parse.GetValue(state) ?? Path.Combine(CommandKit.ResolveHome(app, null), DefaultStateSubdirectory),
            CaBundlePath = parse.GetValue(caBundle),
            Contacts = (parse.GetValue(email) ?? []).Select(e => e.StartsWith("mailto:", StringComparison.Ordinal) ? e : "mailto:" + e).ToList(),
            AccountKeyType = parse.GetValue(accountKeyType)!,
            ExternalAccountKeyId = parse.GetValue(eabKid),
            ExternalAccountMacKey = macKey,
            // Account commands validate nothing, so they do not take the challenge options.
            HttpPort = issuance ? parse.GetValue(httpPort) : defaults.HttpPort,
            HttpBindAddress = issuance ? parse.GetValue(httpBind)! : defaults.HttpBindAddress,
            DnsHook = issuance ? parse.GetValue(dnsHook) : null,
            PreferredChain = issuance ? parse.GetValue(preferredChain) : null,
            Timeout = Durations.Parse(parse.GetValue(timeout)!, "--acme-timeout"),
            Progress = new Progress(app.Error),
        };
        return app.Services.GetRequiredService<AcmeSourceFactory>().Create(options);
    }

    /// <summary>Progress lines on stderr, written synchronously (System.Progress would post them to the thread pool, out of order).</summary>
    private sealed class Progress(TextWriter error) : IProgress<string>
    {
        public void Report(string value) => error.WriteLine($"pipeline-pki: {value}");
    }
}

/// <summary><c>acme account|key-rollover|revoke|renewal-info</c>: what the account can do besides ordering.</summary>
internal static class AcmeCommands
{
    public static Command Create(CliApp app)
    {
        var acme = new Command("acme", "ACME account operations (issuance is 'cert issue --source acme').");
        app.AddSubcommands(
            acme,
            depth: 1,
            ("account", Account),
            ("key-rollover", KeyRollover),
            ("revoke", Revoke),
            ("renewal-info", RenewalInfo));
        return acme;
    }

    private static Command Account(CliApp app)
    {
        var acmeOptions = new AcmeCliOptions();
        var create = new Option<bool>("--create") { Description = "Register the account when the state directory has none." };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("account", "Show the ACME account (checked with the server), or create it with --create.") { create, format };
        acmeOptions.AddTo(command, forIssuance: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var account = await acmeOptions.CreateSource(app, parse).AccountAsync(parse.GetValue(create), cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), account, () => AcmeCliJson.Default.AcmeAccountInfo, RenderAccount);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command KeyRollover(CliApp app)
    {
        var acmeOptions = new AcmeCliOptions();
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("key-rollover", "Replace the account key (RFC 8555 §7.3.5); the old key stops working.") { format };
        acmeOptions.AddTo(command, forIssuance: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var account = await acmeOptions.CreateSource(app, parse).RollOverKeyAsync(cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), account, () => AcmeCliJson.Default.AcmeAccountInfo, RenderAccount);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Revoke(CliApp app)
    {
        var acmeOptions = new AcmeCliOptions();
        var cert = new Option<string>("--cert") { Description = "The certificate to revoke (cert.pem written by 'cert issue --source acme').", Required = true };
        var reason = new Option<string>("--reason") { Description = "RFC 5280 reason: unspecified, keyCompromise, superseded, cessationOfOperation, affiliationChanged, …", DefaultValueFactory = _ => "unspecified" };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("revoke", "Revoke a certificate at the ACME CA, signed by the account that ordered it.") { cert, reason, format };
        acmeOptions.AddTo(command, forIssuance: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = await acmeOptions.CreateSource(app, parse).RevokeAsync(parse.GetValue(cert)!, parse.GetValue(reason)!, cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), result, () => AcmeCliJson.Default.AcmeRevokeResult, (output, r) =>
                output.WriteLine($"revoked {r.Serial} ({r.Subject}), reason {r.Reason}, at {r.Endpoint}"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RenewalInfo(CliApp app)
    {
        var acmeOptions = new AcmeCliOptions();
        var cert = new Option<string>("--cert") { Description = "The certificate to ask about.", Required = true };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("renewal-info", "When to renew (RFC 9773 ARI window, else two thirds of the lifetime); exit 0 either way, 'due' says whether now.") { cert, format };
        acmeOptions.AddTo(command, forIssuance: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var timing = await acmeOptions.CreateSource(app, parse).RenewalInfoAsync(parse.GetValue(cert)!, cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), timing, () => AcmeCliJson.Default.AcmeRenewalTiming, (output, t) =>
            {
                output.WriteLine($"{t.Serial}: renew between {t.WindowStart:u} and {t.WindowEnd:u} ({(t.Basis == "ari" ? "the CA's ARI window" : "two thirds of the lifetime; the CA offers no ARI")})");
                output.WriteLine(t.Due ? "  due: yes, renew now" : $"  due: no (expires {t.NotAfter:u})");
                if (t.ExplanationUrl is not null)
                {
                    output.WriteLine($"  explanation: {t.ExplanationUrl}");
                }
            });
            return ExitCodes.Success;
        });
        return command;
    }

    private static void RenderAccount(TextWriter output, AcmeAccountInfo account)
    {
        output.WriteLine($"{(account.Created ? "created" : "account")} {account.AccountUrl} ({account.Status})");
        output.WriteLine($"  directory:  {account.Directory}");
        output.WriteLine($"  key:        {account.KeyType}, JWK thumbprint {account.KeyThumbprint}");
        output.WriteLine($"  key file:   {account.KeyFile} (0600)");
        if (account.Contact.Count > 0)
        {
            output.WriteLine($"  contact:    {string.Join(", ", account.Contact)}");
        }
    }
}

[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Serialization,
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcmeAccountInfo))]
[JsonSerializable(typeof(AcmeRevokeResult))]
[JsonSerializable(typeof(AcmeRenewalTiming))]
internal sealed partial class AcmeCliJson : JsonSerializerContext;
