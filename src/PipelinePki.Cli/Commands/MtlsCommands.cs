using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Mtls;
using PipelinePki.Core.Validation;

namespace PipelinePki.Cli.Commands;

/// <summary><c>mtls probe</c>; <c>mtls setup</c> and <c>mtls teardown</c> live in <see cref="MtlsSetupCommands"/>.</summary>
internal static class MtlsCommands
{
    public static Command Create(CliApp app)
    {
        var mtls = new Command("mtls", "Mutual TLS: probe endpoints; set up and tear down client certificates for the pipeline's tools.");
        app.AddSubcommands(
            mtls,
            depth: 1,
            ("probe", Probe),
            ("setup", MtlsSetupCommands.Setup),
            ("teardown", MtlsSetupCommands.Teardown));
        return mtls;
    }

    private static Command Probe(CliApp app)
    {
        var endpoint = new Argument<string>("endpoint") { Description = "https://host[:port] to probe." };
        var clientCert = new Option<string?>("--client-cert") { Description = "Client certificate to present (PEM/DER; a bundle's first certificate, with its chain)." };
        var clientKey = new Option<string?>("--client-key") { Description = "Private key of the client certificate (PEM/DER, PKCS#8 or SEC1/PKCS#1)." };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding the client key's passphrase, when it is encrypted." };
        var trust = new Option<string[]>("--trust") { Description = "Trust anchors for the server chain (default: the system bundle).", AllowMultipleArgumentsPerToken = true };
        var untrusted = new Option<string[]>("--untrusted") { Description = "Extra intermediates for the server chain.", AllowMultipleArgumentsPerToken = true };
        var crl = new Option<string[]>("--crl") { Description = "CRLs for the server chain (others are fetched from distribution points).", AllowMultipleArgumentsPerToken = true };
        var minRemaining = new Option<string>("--min-remaining") { Description = "Fail when the server certificate expires within this margin.", DefaultValueFactory = _ => "72h" };
        var revocation = new Option<string>("--revocation") { Description = "auto, crl, ocsp or none, for the server chain.", DefaultValueFactory = _ => "auto" };
        revocation.AcceptOnlyFromAmong("auto", "crl", "ocsp", "none");
        var softFail = new Option<bool>("--soft-fail") { Description = "Accept unknown revocation status." };
        var timeout = new Option<string>("--timeout") { Description = "Connection and handshake timeout.", DefaultValueFactory = _ => "10s" };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("probe", "TLS handshake report: protocol, cipher, ALPN, server chain (validated), expiry, OCSP staple, client-certificate request and acceptance. Exit 0 ok, 4 problems, 6 unreachable.")
        {
            endpoint, clientCert, clientKey, passphraseEnv, trust, untrusted, crl, minRemaining, revocation, softFail, timeout, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var certPath = parse.GetValue(clientCert);
            var keyPath = parse.GetValue(clientKey);
            if ((certPath is null) != (keyPath is null))
            {
                throw new UsageException("--client-cert and --client-key go together.");
            }

            ClientIdentity? identity = null;
            if (certPath is not null)
            {
                var chain = PkiObjectReader.ReadCertificates(certPath);
                var variable = parse.GetValue(passphraseEnv);
                using var key = PrivateKeyCodec.Read(PkiObjectReader.ReadFile(keyPath!), keyPath!, variable is null ? () => null : CommandKit.Passphrase(app, variable).Invoke);
                if (!key.SubjectPublicKeyInfo.AsSpan().SequenceEqual(chain[0].CertificateStructure.SubjectPublicKeyInfo.GetEncoded()))
                {
                    throw new BadInputException($"{keyPath}: this key does not belong to the certificate in {certPath}.");
                }

                var pkcs8 = key.ExportPkcs8();
                try
                {
                    identity = new ClientIdentity(chain, Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(pkcs8));
                }
                finally
                {
                    System.Security.Cryptography.CryptographicOperations.ZeroMemory(pkcs8);
                }
            }

            var trustFiles = CommandKit.TrustFilesOrSystem(app, parse.GetValue(trust));
            var timeoutValue = Durations.Parse(parse.GetValue(timeout)!, "--timeout");
            var request = new ProbeRequest(
                TlsEndpoint.ParseEndpoint(parse.GetValue(endpoint)!),
                trustFiles.SelectMany(PkiObjectReader.ReadCertificates).ToList(),
                (parse.GetValue(untrusted) ?? []).SelectMany(PkiObjectReader.ReadCertificates).ToList(),
                Durations.Parse(parse.GetValue(minRemaining)!, "--min-remaining"),
                Enum.Parse<RevocationMode>(parse.GetValue(revocation)!, ignoreCase: true),
                parse.GetValue(softFail),
                timeoutValue,
                identity,
                (parse.GetValue(crl) ?? []).SelectMany(CrlFiles.Read).ToList());
            var probe = new TlsProbe(app.Verifiers.Create(timeoutValue), app.Services.GetRequiredService<TimeProvider>());
            var result = await probe.ProbeAsync(request, cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.ProbeResult, TextRender.Probe);

            return result.Passed ? ExitCodes.Success : ExitCodes.NotValid;
        });
        return command;
    }
}
