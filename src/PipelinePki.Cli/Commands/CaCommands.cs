using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.IO;
using PipelinePki.Core.Keys;

namespace PipelinePki.Cli.Commands;

/// <summary><c>ca init|status|revoke|crl|inventory|rotate-intermediate</c>: the embedded two-tier CA.</summary>
internal static class CaCommands
{
    public static Command Create(CliApp app)
    {
        var ca = new Command("ca", "The embedded two-tier CA (offline root, issuing intermediate).");
        app.AddSubcommands(
            ca,
            depth: 1,
            ("init", Init),
            ("status", Status),
            ("revoke", Revoke),
            ("crl", Crl),
            ("inventory", Inventory),
            ("rotate-intermediate", RotateIntermediate),
            ("trusted-root", TrustedRoot),
            ("report", GovernanceCommands.Report),
            ("watch", GovernanceCommands.Watch),
            ("fetch", VaultFetchCommand.Create));
        return ca;
    }

    private static Command Init(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var name = new Option<string>("--name") { Description = "CA name; the root is \"NAME Root CA\", the intermediate \"NAME Issuing CA\".", Required = true };
        var keyType = new Option<string?>("--key-type") { Description = "Key type for both CA keys: ecdsa-p384 (default), ecdsa-p256, rsa-3072, rsa-4096, ed25519." };
        var rootKeyType = new Option<string?>("--root-key-type") { Description = "Key type of the root (overrides --key-type)." };
        var intermediateKeyType = new Option<string?>("--intermediate-key-type") { Description = "Key type of the intermediate (overrides --key-type)." };
        var rootTtl = new Option<string>("--root-ttl") { Description = "Root validity.", DefaultValueFactory = _ => "10y" };
        var intermediateTtl = new Option<string>("--intermediate-ttl") { Description = "Intermediate validity.", DefaultValueFactory = _ => "1y" };
        var permittedDns = new Option<string[]>("--permitted-dns") { Description = "Name constraint on the intermediate: permitted DNS domain (repeatable)." };
        var permittedUri = new Option<string[]>("--permitted-uri") { Description = "Name constraint on the intermediate: permitted URI host or .domain (repeatable)." };
        var crlUrl = new Option<string?>("--crl-url") { Description = "CRL distribution point written into leaves (where the intermediate's CRL is published)." };
        var rootCrlUrl = new Option<string?>("--root-crl-url") { Description = "CRL distribution point written into the intermediate (where the root's CRL is published)." };
        var issuerUrl = new Option<string?>("--issuer-url") { Description = "AIA caIssuers URL written into leaves (where intermediate.pem is published)." };
        var ocspUrl = new Option<string?>("--ocsp-url") { Description = "AIA OCSP responder URL written into leaves." };
        var passphraseEnv = CommandKit.PassphraseEnvOption();
        var noPassphrase = new Option<bool>("--no-passphrase") { Description = "Write the CA keys unencrypted (warns; for throwaway CAs only)." };
        var pkcs11Root = Pkcs11Options.Uri("--pkcs11-root", "Keep the root key on a PKCS#11 token: a pkcs11: URI naming it by object= and/or id= (generated there, non-extractable, when absent).");
        var pkcs11Intermediate = Pkcs11Options.Uri("--pkcs11-intermediate", "Keep the intermediate key on a PKCS#11 token (as --pkcs11-root).");
        var module = Pkcs11Options.Module();
        var pinEnv = Pkcs11Options.PinEnv();
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("init", "Create an offline root and an issuing intermediate.")
        {
            home, name, keyType, rootKeyType, intermediateKeyType, rootTtl, intermediateTtl, permittedDns, permittedUri,
            crlUrl, rootCrlUrl, issuerUrl, ocspUrl, passphraseEnv, noPassphrase, pkcs11Root, pkcs11Intermediate, module, pinEnv, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var both = parse.GetValue(keyType) is { } k ? KeySpec.Parse(k) : KeySpec.Default;
            var request = new CaInitRequest(
                CommandKit.ResolveHome(app, parse.GetValue(home)),
                parse.GetValue(name)!,
                parse.GetValue(rootKeyType) is { } r ? KeySpec.Parse(r) : both,
                parse.GetValue(intermediateKeyType) is { } i ? KeySpec.Parse(i) : both,
                Durations.Parse(parse.GetValue(rootTtl)!, "--root-ttl"),
                Durations.Parse(parse.GetValue(intermediateTtl)!, "--intermediate-ttl"),
                EncryptKeys: !parse.GetValue(noPassphrase),
                CommandKit.Requester(app, parse),
                parse.GetValue(permittedDns) ?? [],
                parse.GetValue(permittedUri) ?? [],
                Url(parse.GetValue(crlUrl), "--crl-url"),
                Url(parse.GetValue(rootCrlUrl), "--root-crl-url"),
                Url(parse.GetValue(issuerUrl), "--issuer-url"),
                Url(parse.GetValue(ocspUrl), "--ocsp-url"),
                ExternalKeys(app, parse, parse.GetValue(pkcs11Root), parse.GetValue(pkcs11Intermediate), module, pinEnv));
            var passphrase = CommandKit.Passphrase(app, parse.GetValue(passphraseEnv)!);
            var result = await app.Services.GetRequiredService<LocalCaInitializer>().InitializeAsync(request, passphrase, cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.CaInitResult, TextRender.CaInit);

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Status(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("status", "Show the chain, key locations, certificate counts and CRL freshness.") { home, format };
        command.SetAction(parse =>
        {
            var authority = Open(app, parse.GetValue(home), CommandKit.DefaultPassphraseVariable);
            var status = authority.GetStatus();
            CommandKit.Render(app, parse.GetValue(format), status, () => CliJson.Default.CaStatus, TextRender.CaStatus);

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Revoke(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var serial = new Option<string>("--serial") { Description = "Serial number in hex (as 'ca inventory' prints it; colons allowed).", Required = true };
        var reason = new Option<string>("--reason") { Description = "RFC 5280 reason: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, aACompromise.", DefaultValueFactory = _ => "unspecified" };
        var format = CommandKit.FormatOption("text", "json");
        var source = new Option<string>("--source") { Description = "local (the embedded CA) or vault (Vault's PKI secrets engine).", DefaultValueFactory = _ => "local" };
        source.AcceptOnlyFromAmong("local", "vault");
        var vault = new VaultCommandOptions();
        var command = new Command("revoke", "Revoke a certificate by serial; publish a CRL afterwards with 'ca crl'.") { home, serial, reason, format, source };
        vault.AddTo(command, issuing: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new RevokeRequest(parse.GetValue(serial)!, parse.GetValue(reason)!);
            InventoryRecord record;
            string note;
            if (parse.GetValue(source) == "vault")
            {
                await using var host = vault.Open(app, parse, Path.Combine(CommandKit.ResolveHome(app, parse.GetValue(home)), "inventory.db"));
                record = await host.Source.RevokeAsync(request, cancellationToken);
                note = "Vault adds it to the mount's CRL; fetch it with 'pipeline-pki ca fetch --source vault --crl'";
            }
            else
            {
                var authority = Open(app, parse.GetValue(home), CommandKit.DefaultPassphraseVariable);
                record = await authority.RevokeAsync(request, cancellationToken);
                note = "relying parties learn of it from the next CRL: run 'pipeline-pki ca crl'";
            }

            await GovernanceCommands.AuditRevokeAsync(app, parse, CommandKit.ResolveHome(app, parse.GetValue(home)), record, cancellationToken);
            var output = new RevokeOutput(record.Serial, record.Subject, record.Status, record.RevokedAt, record.RevocationReason, note);
            if (parse.GetValue(format) == "json")
            {
                app.Output.WriteLine(JsonSerializer.Serialize(output, CliJson.Default.RevokeOutput));
            }
            else
            {
                app.Output.WriteLine($"revoked {output.Serial} ({output.Subject}) at {output.RevokedAt:u}, reason {output.Reason}; {output.Note}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Crl(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var output = new Option<string?>("--out", "-o") { Description = "Write the CRL to this file (default: stdout, PEM)." };
        var der = new Option<bool>("--der") { Description = "Write DER instead of PEM." };
        var issuer = new Option<string>("--issuer") { Description = "intermediate (default) or root: the root's CRL is signed with the offline root key.", DefaultValueFactory = _ => "intermediate" };
        issuer.AcceptOnlyFromAmong("intermediate", "root");
        var nextUpdate = new Option<string>("--next-update") { Description = "How long the CRL is valid (nextUpdate = now + this).", DefaultValueFactory = _ => "7d" };
        var passphraseEnv = CommandKit.PassphraseEnvOption();
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("crl", "Publish the current CRL (v2, with CRL number and AKI).") { home, output, der, issuer, nextUpdate, passphraseEnv, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(der) && parse.GetValue(output) is null)
            {
                throw new UsageException("--der writes binary: give a file with --out.");
            }

            var authority = Open(app, parse.GetValue(home), parse.GetValue(passphraseEnv)!);
            var which = parse.GetValue(issuer) == "root" ? CrlIssuer.Root : CrlIssuer.Intermediate;
            var result = await authority.PublishCrlAsync(new CrlRequest(which, Durations.Parse(parse.GetValue(nextUpdate)!, "--next-update")), cancellationToken);
            await GovernanceCommands.AuditCrlAsync(app, parse, authority, result, cancellationToken);
            var path = parse.GetValue(output);
            var json = parse.GetValue(format) == "json";
            if (path is not null)
            {
                if (parse.GetValue(der))
                {
                    AtomicFile.Write(path, result.Der, secret: false);
                }
                else
                {
                    AtomicFile.WriteText(path, Pem.Encode("X509 CRL", result.Der), secret: false);
                }
            }
            else if (json)
            {
                // The document is the one thing on stdout; the CRL itself needs --out.
            }
            else
            {
                app.Output.Write(Pem.Encode("X509 CRL", result.Der));
                return ExitCodes.Success;
            }

            if (json)
            {
                app.Output.WriteLine(JsonSerializer.Serialize(new CrlOutput(path is null ? null : Path.GetFullPath(path), result.Info), CliJson.Default.CrlOutput));
            }
            else
            {
                app.Output.WriteLine($"wrote CRL #{result.Info.CrlNumber} of {result.Info.Issuer} to {Path.GetFullPath(path!)}: {result.Info.Entries.Count} revoked, next update {result.Info.NextUpdate:u}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Inventory(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var format = CommandKit.FormatOption("table", "json", "csv", "text", "markdown", "html");
        var filters = GovernanceCommands.InventoryFilterOptions();
        var command = new Command("inventory", "List every certificate this CA issued: serial, subject, SANs, validity, status, requester.") { home, format };
        filters.AddTo(command);
        command.SetAction(parse =>
        {
            var authority = Open(app, parse.GetValue(home), CommandKit.DefaultPassphraseVariable);
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            var records = filters.Apply(parse, authority.ListInventory(), now);
            var rows = records.Select(r => new InventoryRow(
                r.Serial, r.Subject, r.Issuer, r.SubjectAlternativeNames, r.NotBefore, r.NotAfter, r.StatusAt(now), r.Profile, r.KeyType,
                r.Sha256Fingerprint, r.RevokedAt, r.RevocationReason, r.Source, r.RequestedBy.ToString(), r.RequestedBy.Repository,
                r.RequestedBy.RunId, r.RequestedBy.Commit, r.IssuedAt)).ToList();
            switch (parse.GetValue(format))
            {
                case "json":
                    app.Output.WriteLine(JsonSerializer.Serialize(rows, CliJson.Default.ListInventoryRow));
                    break;
                case "csv":
                    TextRender.InventoryCsv(app.Output, rows);
                    break;
                case "markdown" or "html":
                    GovernanceCommands.RenderInventoryPage(app, parse.GetValue(format)!, records, now, authority.Name == "local" ? authority.Home.Config.Name : authority.Name);
                    break;
                default:
                    TextRender.InventoryTable(app.Output, rows);
                    break;
            }

            filters.WarnExpiring(app, parse, records, now);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RotateIntermediate(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var ttl = new Option<string>("--ttl") { Description = "Validity of the new intermediate.", DefaultValueFactory = _ => "1y" };
        var keyType = new Option<string?>("--key-type") { Description = "Key type of the new intermediate (default: the current one's)." };
        var passphraseEnv = CommandKit.PassphraseEnvOption();
        var pkcs11Intermediate = Pkcs11Options.Uri("--pkcs11-intermediate", "Put the new intermediate key on a PKCS#11 token: a pkcs11: URI with a new object= label (generated there when absent); required when the current one is on a token.");
        var module = Pkcs11Options.Module();
        var pinEnv = new Option<string?>("--pin-env") { Description = "Name of the environment variable holding the token's user PIN (default: the one ca init recorded)." };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("rotate-intermediate", "Replace the issuing CA with a new key and certificate signed by the root (needs the root key).")
        {
            home, ttl, keyType, passphraseEnv, pkcs11Intermediate, module, pinEnv, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var authority = Open(app, parse.GetValue(home), parse.GetValue(passphraseEnv)!);
            var info = await authority.RotateIntermediateAsync(
                new RotateIntermediateRequest(
                    Durations.Parse(parse.GetValue(ttl)!, "--ttl"),
                    parse.GetValue(keyType) is { } k ? KeySpec.Parse(k) : null,
                    CommandKit.Requester(app, parse),
                    parse.GetValue(pkcs11Intermediate),
                    Pkcs11Options.ResolveModule(app, parse, module),
                    parse.GetValue(pinEnv)),
                cancellationToken);
            if (parse.GetValue(format) == "json")
            {
                app.Output.WriteLine(JsonSerializer.Serialize(new RotateOutput(info), CliJson.Default.RotateOutput));
            }
            else
            {
                app.Output.WriteLine($"new issuing CA {info.Serial} ({info.KeyType}), valid until {info.NotAfter:u}; the previous one is in {Path.Combine(authority.Home.Directory, "archive")}.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command TrustedRoot(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var output = new Option<string>("--out", "-o") { Description = "Where to write trusted_root.json.", Required = true };
        var command = new Command("trusted-root", "Write a Sigstore trusted root (this CA and its timestamping authority) for Sigstore verifiers of our bundles.") { home, output };
        command.SetAction(parse =>
        {
            var authority = Open(app, parse.GetValue(home), CommandKit.DefaultPassphraseVariable);
            var paths = authority.Home;
            if (!File.Exists(paths.TsaCertificatePath))
            {
                throw new BadInputException($"{paths.Directory}: this CA has no timestamping certificate; Sigstore verifiers need one.");
            }

            byte[] Der(string path) => Core.Certificates.PkiObjectReader.ReadSingleCertificate(path).GetEncoded();
            var json = Core.Signing.Sigstore.SigstoreTrustedRoot.Write(
                [Der(paths.IntermediateCertificatePath), Der(paths.RootCertificatePath)],
                [Der(paths.TsaCertificatePath), Der(paths.IntermediateCertificatePath), Der(paths.RootCertificatePath)]);
            AtomicFile.Write(parse.GetValue(output)!, json, secret: false);
            app.Output.WriteLine($"wrote the Sigstore trusted root for {authority.Home.Config.Name} to {Path.GetFullPath(parse.GetValue(output)!)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static LocalAuthority Open(CliApp app, string? home, string passphraseVariable) =>
        app.Services.GetRequiredService<LocalAuthorityFactory>().Open(CommandKit.ResolveHome(app, home), CommandKit.Passphrase(app, passphraseVariable));

    private static ExternalCaKeys? ExternalKeys(CliApp app, ParseResult parse, string? root, string? intermediate, Option<string?> module, Option<string> pinEnv)
    {
        foreach (var (uri, option) in new[] { (root, "--pkcs11-root"), (intermediate, "--pkcs11-intermediate") })
        {
            if (uri is not null && !Pkcs11Options.IsPkcs11(uri))
            {
                throw new UsageException($"{option}: expected a pkcs11: URI (RFC 7512), for example 'pkcs11:token=CI;object=ca-root'.");
            }
        }

        return root is null && intermediate is null
            ? null
            : new ExternalCaKeys(root, intermediate, Pkcs11Options.ResolveModule(app, parse, module), parse.GetValue(pinEnv)!);
    }

    private static string? Url(string? value, string option)
    {
        if (value is null)
        {
            return null;
        }

        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == "ldap")
            ? value
            : throw new UsageException($"{option}: '{value}' is not an absolute http(s) URL.");
    }
}
