using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;

namespace PipelinePki.Cli.Commands;

/// <summary><c>cert issue|inspect</c>.</summary>
internal static class CertCommands
{
    public static Command Create(CliApp app)
    {
        var cert = new Command("cert", "Issue, inspect and verify certificates.");
        app.AddSubcommands(
            cert,
            depth: 1,
            ("issue", Issue),
            ("renew", RenewCommand.Create),
            ("inspect", Inspect),
            ("verify", VerifyCommand.Create),
            ("check", CheckCommand.Create));
        return cert;
    }

    private static Command Issue(CliApp app)
    {
        var source = new Option<string>("--source") { Description = "Where the certificate comes from: local (the embedded CA), vault (Vault's PKI secrets engine) or acme (an RFC 8555 CA).", DefaultValueFactory = _ => "local" };
        source.AcceptOnlyFromAmong("local", "vault", "acme");
        var vault = new VaultCommandOptions();
        var home = CommandKit.HomeOption();
        var name = new Option<string?>("--name") { Description = "Subject common name (with --csr, defaults to the CSR's)." };
        var san = new Option<string[]>("--san") { Description = "Subject alternative name: dns:NAME, ip:ADDR, uri:URI or email:ADDR (repeatable)." };
        var profile = new Option<string>("--profile") { Description = "client, server, mtls (client+server auth) or code-signing.", DefaultValueFactory = _ => "mtls" };
        var ttl = new Option<string>("--ttl") { Description = "Lifetime (90s, 15m, 24h, 7d).", DefaultValueFactory = _ => "24h" };
        var keyType = new Option<string>("--key-type") { Description = "ecdsa-p384 (default), ecdsa-p256, rsa-3072, rsa-4096, ed25519.", DefaultValueFactory = _ => KeySpec.Default.Name };
        var csr = new Option<string?>("--csr") { Description = "Certify the key of this PKCS#10 request (PEM or DER); the private key never touches this tool." };
        var output = new Option<string>("--out", "-o") { Description = "Output directory for cert.pem, chain.pem, fullchain.pem, root.pem and key.pem.", Required = true };
        var passphraseEnv = CommandKit.PassphraseEnvOption();
        var format = CommandKit.FormatOption("text", "json");
        var policyFile = GovernanceKit.PolicyOption();
        var ciIdentity = new Option<bool>("--ci-identity") { Description = "Add a URI SAN naming this CI run's workflow and ref (GitHub, GitLab, Azure Pipelines; see README), for verify --identity." };
        var command = new Command("issue", "Issue a certificate (default: 24 h, ECDSA P-384, mTLS profile).")
        {
            source, home, name, san, profile, ttl, keyType, csr, output, passphraseEnv, format, policyFile, ciIdentity,
        };
        vault.AddTo(command, issuing: true);
        var acme = new AcmeCliOptions();
        acme.AddTo(command, forIssuance: true);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var csrPath = parse.GetValue(csr);
            var commonName = parse.GetValue(name);
            if (commonName is null && csrPath is null)
            {
                throw new UsageException("--name is required (the subject common name), unless --csr supplies one.");
            }

            var names = (parse.GetValue(san) ?? []).Select(SubjectAlternativeName.Parse).ToList();
            if (parse.GetValue(ciIdentity))
            {
                names.Add(SubjectAlternativeName.Uri(app.Ci.WorkloadIdentityUri(app.Ci.Detect(parse.GetValue(app.CiOption) ?? "auto"))));
            }

            var request = new IssueRequest(
                commonName ?? string.Empty,
                names,
                CertificateProfiles.Parse(parse.GetValue(profile)!),
                Durations.Parse(parse.GetValue(ttl)!, "--ttl"),
                KeySpec.Parse(parse.GetValue(keyType)!),
                CommandKit.Requester(app, parse),
                csrPath is null ? null : new CertificationRequestInput(PkiObjectReader.ReadFile(csrPath), csrPath));

            // Policy first, on the request as built: no source (local, Vault, ACME) is contacted for a refused request.
            var homeDirectory = CommandKit.ResolveHome(app, parse.GetValue(home));
            var audit = GovernanceKit.Audit(app, parse, homeDirectory);
            var attempt = GovernanceKit.IssueAttempt(app, parse, request, parse.GetValue(source)!);
            await GovernanceKit.EnforceIssuanceAsync(audit, attempt, GovernanceKit.LoadPolicy(app, parse.GetValue(policyFile)), request, cancellationToken);
            IssuedCertificate issued;
            switch (parse.GetValue(source))
            {
                case "vault":
                    // Vault-issued certificates are recorded in the home's inventory too (source = vault).
                    await using (var host = vault.Open(app, parse, Path.Combine(homeDirectory, "inventory.db")))
                    {
                        issued = await GovernanceKit.RecordRefusalAsync(audit, attempt, () => host.Source.IssueAsync(request, cancellationToken), cancellationToken);
                    }

                    break;
                case "acme":
                    // The CA decides lifetime and extensions; say so rather than silently drop what was asked.
                    foreach (var ignored in new Option[] { ttl, profile }.Where(o => parse.GetResult(o) is { Implicit: false }))
                    {
                        app.Error.WriteLine($"pipeline-pki: warning: {ignored.Name} is not sent to an ACME CA; the CA decides.");
                    }

                    var acmeSource = acme.CreateSource(app, parse);
                    issued = await GovernanceKit.RecordRefusalAsync(audit, attempt, () => acmeSource.IssueAsync(request, cancellationToken), cancellationToken);
                    break;
                default:
                    var authority = app.Services.GetRequiredService<LocalAuthorityFactory>()
                        .Open(homeDirectory, CommandKit.Passphrase(app, parse.GetValue(passphraseEnv)!));
                    issued = await GovernanceKit.RecordRefusalAsync(audit, attempt, () => authority.IssueAsync(request, cancellationToken), cancellationToken);
                    break;
            }

            using var issuedCertificate = issued;
            var files = IssuedCertificateWriter.Write(parse.GetValue(output)!, issued);
            await audit.RecordAsync(GovernanceKit.Issued(attempt, issued.Record), cancellationToken);
            IssueRecord.Create(parse, parse.GetValue(source)!, request, issued).Write(parse.GetValue(output)!);
            var record = issued.Record;
            var result = new IssueOutput(
                record.Source, files, record.Serial, record.Subject, record.Issuer, record.SubjectAlternativeNames,
                record.NotBefore, record.NotAfter, record.Profile, record.KeyType, record.Sha256Fingerprint);
            app.CiPublisher.Publish(new Ci.Steps.IssueOutputs(files, record.Subject, record.Serial, record.NotBefore, record.NotAfter, record.Sha256Fingerprint));
            CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.IssueOutput, TextRender.Issued);

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Inspect(CliApp app)
    {
        var file = new Argument<string>("file") { Description = "Certificate, CSR, CRL or bundle (PEM or DER; detected by content)." };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("inspect", "Show a certificate, CSR, CRL or bundle.") { file, format };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var objects = PkiObjectReader.Inspect(PkiObjectReader.ReadFile(path), path);
            if (parse.GetValue(format) == "json")
            {
                app.Output.WriteLine(JsonSerializer.Serialize(new InspectOutput(Path.GetFullPath(path), objects), CliJson.Default.InspectOutput));
            }
            else
            {
                TextRender.Inspect(app.Output, objects);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
