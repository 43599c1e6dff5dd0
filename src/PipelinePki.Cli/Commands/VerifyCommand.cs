using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation;

namespace PipelinePki.Cli.Commands;

/// <summary><c>cert verify</c>: RFC 5280 path validation, revocation, purpose and names.</summary>
internal static class VerifyCommand
{
    public static Command Create(CliApp app)
    {
        var leaf = new Argument<string>("certificate") { Description = "The certificate to verify (PEM or DER). A bundle's first certificate is the leaf; the rest help build the path." };
        var trust = new Option<string[]>("--trust") { Description = "Trust anchors (files with one or more certificates; repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var untrusted = new Option<string[]>("--untrusted") { Description = "Intermediates that may help build the path (repeatable).", AllowMultipleArgumentsPerToken = true };
        var crl = new Option<string[]>("--crl") { Description = "CRLs to use (PEM or DER, repeatable); others are fetched from CRL distribution points.", AllowMultipleArgumentsPerToken = true };
        var at = new Option<string?>("--at") { Description = "Validate at this time (ISO 8601) instead of now." };
        var purpose = new Option<string>("--purpose") { Description = "server, client, code-signing, timestamping or any.", DefaultValueFactory = _ => "any" };
        purpose.AcceptOnlyFromAmong("server", "client", "code-signing", "timestamping", "any");
        var host = new Option<string?>("--host") { Description = "Host name the certificate must name (DNS SAN, RFC 6125 wildcards)." };
        var ip = new Option<string?>("--ip") { Description = "IP address the certificate must name." };
        var uri = new Option<string?>("--uri") { Description = "URI the certificate must name (exact)." };
        var email = new Option<string?>("--email") { Description = "Email address the certificate must name." };
        var cnFallback = new Option<bool>("--cn-fallback") { Description = "Match --host against the subject CN when the certificate has no DNS SANs (legacy)." };
        var revocation = new Option<string>("--revocation") { Description = "auto (CRLs given or fetched, else OCSP), crl, ocsp or none.", DefaultValueFactory = _ => "auto" };
        revocation.AcceptOnlyFromAmong("auto", "crl", "ocsp", "none");
        var softFail = new Option<bool>("--soft-fail") { Description = "Accept a certificate whose revocation status cannot be determined (reported as a warning)." };
        var policy = new Option<string[]>("--policy") { Description = "Acceptable certificate policy OID (repeatable; default anyPolicy).", AllowMultipleArgumentsPerToken = true };
        var requireExplicit = new Option<bool>("--require-explicit-policy") { Description = "Every certificate must carry an acceptable policy." };
        var inhibitMapping = new Option<bool>("--inhibit-policy-mapping") { Description = "Do not honour policy mappings." };
        var inhibitAny = new Option<bool>("--inhibit-any-policy") { Description = "anyPolicy in certificates does not match specific policies." };
        var timeout = new Option<string>("--timeout") { Description = "Per-request timeout for CRL and OCSP fetches.", DefaultValueFactory = _ => "10s" };
        var format = CommandKit.FormatOption("text", "json");
        var policyFile = GovernanceKit.PolicyOption("--policy-file");
        var command = new Command("verify", "Validate a certificate: path to a trusted root (RFC 5280), revocation, purpose and names. Exit 0 valid, 4 not valid.")
        {
            leaf, trust, untrusted, crl, at, purpose, host, ip, uri, email, cnFallback, revocation, softFail, policy,
            requireExplicit, inhibitMapping, inhibitAny, timeout, format, policyFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var leafPath = parse.GetValue(leaf)!;
            var leafBundle = PkiObjectReader.ReadCertificates(leafPath);
            var anchors = (parse.GetValue(trust) ?? []).SelectMany(PkiObjectReader.ReadCertificates).ToList();
            var pool = leafBundle.Skip(1).Concat((parse.GetValue(untrusted) ?? []).SelectMany(PkiObjectReader.ReadCertificates)).ToList();
            var crls = (parse.GetValue(crl) ?? []).SelectMany(CrlFiles.Read).ToList();
            var policies = parse.GetValue(policy) is { Length: > 0 } p ? p : [PolicyOptions.AnyPolicy];
            foreach (var oid in policies)
            {
                if (!IsObjectIdentifier(oid))
                {
                    throw new UsageException($"--policy: '{oid}' is not an object identifier (for example 2.23.140.1.2.1).");
                }
            }

            var policyDocument = GovernanceKit.LoadPolicy(app, parse.GetValue(policyFile));
            var (revocationMode, softFailing) = Core.Policy.PolicyGate.Revocation(
                policyDocument, Enum.Parse<RevocationMode>(parse.GetValue(revocation)!, ignoreCase: true), parse.GetValue(softFail));
            var request = new VerifyRequest(
                leafBundle[0],
                anchors,
                pool,
                [],
                ParseTime(parse.GetValue(at)),
                ParsePurpose(parse.GetValue(purpose)!),
                new NameExpectations(parse.GetValue(host), parse.GetValue(ip), parse.GetValue(uri), parse.GetValue(email), parse.GetValue(cnFallback)),
                revocationMode,
                softFailing,
                new PolicyOptions(policies, parse.GetValue(requireExplicit), parse.GetValue(inhibitMapping), parse.GetValue(inhibitAny)),
                crls);
            var verifier = app.Verifiers.Create(Durations.Parse(parse.GetValue(timeout)!, "--timeout"));
            var outcome = await verifier.VerifyAsync(request, cancellationToken);
            await GovernanceKit.EnforceCertificateAsync(app, policyDocument, request, leafPath, cancellationToken);
            app.CiPublisher.Publish(new Ci.Steps.CertificateVerifyOutputs(leafPath, outcome));
            if (parse.GetValue(format) == "json")
            {
                app.Output.WriteLine(VerificationJson.Serialize(outcome));
            }
            else
            {
                TextRender.Verification(app.Output, leafPath, outcome);
            }

            return outcome.IsValid ? ExitCodes.Success : ExitCodes.NotValid;
        });
        return command;
    }

    /// <summary>
    /// An OID in dotted decimal, judged as the time-stamp policy OID is (BouncyCastle's rules: first arc 0–2,
    /// second arc below 40 under 0 and 1, no empty or non-ASCII arcs). Not a Regex: its set-up was a visible
    /// share of this command's start-up.
    /// </summary>
    internal static bool IsObjectIdentifier(string text) => Org.BouncyCastle.Asn1.DerObjectIdentifier.TryFromID(text, out _);

    internal static CertificatePurpose ParsePurpose(string text) => text switch
    {
        "server" => CertificatePurpose.Server,
        "client" => CertificatePurpose.Client,
        "code-signing" => CertificatePurpose.CodeSigning,
        "timestamping" => CertificatePurpose.TimeStamping,
        _ => CertificatePurpose.Any,
    };

    internal static DateTimeOffset? ParseTime(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : throw new UsageException($"--at: '{text}' is not an ISO 8601 time (for example 2026-11-27T12:00:00Z).");
    }
}

/// <summary>CRL files as the verifier takes them: DER plus the file name, PEM bundles split.</summary>
internal static class CrlFiles
{
    public static IEnumerable<(byte[] Der, string Source)> Read(string path)
    {
        var content = PkiObjectReader.ReadFile(path);
        if (!Core.Encoding.Pem.LooksLikePem(content))
        {
            return [(content, path)];
        }

        var blocks = Core.Encoding.Pem.ReadAll(content).Where(b => b.Label == "X509 CRL").ToList();
        return blocks.Count > 0
            ? blocks.Select((b, i) => (b.Der, blocks.Count == 1 ? path : $"{path}#{i + 1}"))
            : throw new BadInputException($"{path}: no CRL found (expected PEM 'X509 CRL' blocks or DER).");
    }
}
