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
        cert.Subcommands.Add(Issue(app));
        cert.Subcommands.Add(Inspect(app));
        cert.Subcommands.Add(VerifyCommand.Create(app));
        cert.Subcommands.Add(CheckCommand.Create(app));
        return cert;
    }

    private static Command Issue(CliApp app)
    {
        var source = new Option<string>("--source") { Description = "Where the certificate comes from: local (the embedded CA) or acme (an RFC 8555 CA).", DefaultValueFactory = _ => "local" };
        source.AcceptOnlyFromAmong("local", "acme");
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
        var command = new Command("issue", "Issue a certificate (default: 24 h, ECDSA P-384, mTLS profile).")
        {
            source, home, name, san, profile, ttl, keyType, csr, output, passphraseEnv, format,
        };
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

            var request = new IssueRequest(
                commonName ?? string.Empty,
                (parse.GetValue(san) ?? []).Select(SubjectAlternativeName.Parse).ToList(),
                CertificateProfiles.Parse(parse.GetValue(profile)!),
                Durations.Parse(parse.GetValue(ttl)!, "--ttl"),
                KeySpec.Parse(parse.GetValue(keyType)!),
                CommandKit.Requester(app, parse),
                csrPath is null ? null : new CertificationRequestInput(PkiObjectReader.ReadFile(csrPath), csrPath));
            ICertificateSource authority;
            if (parse.GetValue(source) == "acme")
            {
                // The CA decides lifetime and extensions; say so rather than silently drop what was asked.
                foreach (var ignored in new Option[] { ttl, profile }.Where(o => parse.GetResult(o) is { Implicit: false }))
                {
                    app.Error.WriteLine($"pipeline-pki: warning: {ignored.Name} is not sent to an ACME CA; the CA decides.");
                }

                authority = acme.CreateSource(app, parse);
            }
            else
            {
                authority = app.Services.GetRequiredService<LocalAuthorityFactory>()
                    .Open(CommandKit.ResolveHome(app, parse.GetValue(home)), CommandKit.Passphrase(app, parse.GetValue(passphraseEnv)!));
            }

            using var issued = await authority.IssueAsync(request, cancellationToken);
            var files = IssuedCertificateWriter.Write(parse.GetValue(output)!, issued);
            var record = issued.Record;
            var result = new IssueOutput(
                authority.Name, files, record.Serial, record.Subject, record.Issuer, record.SubjectAlternativeNames,
                record.NotBefore, record.NotAfter, record.Profile, record.KeyType, record.Sha256Fingerprint);
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
