using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Audit;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing;
using PipelinePki.Core.Signing.Timestamping;
using PipelinePki.Core.Validation;

namespace PipelinePki.Cli.Commands;

public sealed record SignOutput(IReadOnlyList<SignedArtifact> Signed, string? Manifest = null, int? ManifestEntries = null, EphemeralSignerOutput? Ephemeral = null);

/// <summary>The in-memory signer's certificate (the key itself was never written anywhere).</summary>
public sealed record EphemeralSignerOutput(string Serial, string Subject, IReadOnlyList<string> SubjectAlternativeNames, DateTimeOffset NotAfter);

public sealed record VerifyArtifactsOutput(bool IsValid, IReadOnlyList<ArtifactVerificationOutcome> Artifacts);

/// <summary><c>sign</c> and <c>verify</c> for artifacts (detached CMS with an RFC 3161 timestamp).</summary>
internal static class SignCommands
{
    public static Command Sign(CliApp app)
    {
        var files = new Argument<string[]>("files") { Description = "Artifacts to sign (files or quoted globs).", Arity = ArgumentArity.ZeroOrMore };
        var digest = new Option<string[]>("--digest") { Description = "Container image digest to sign (sha256:HEX; repeatable): writes sha256-HEX.payload.json and its signature, no registry needed.", AllowMultipleArgumentsPerToken = true };
        var subject = new Option<string?>("--subject") { Description = "Image reference recorded with --digest (for example registry.example/app)." };
        var key = new Option<string?>("--key") { Description = "Signing key: a file (PEM/DER PKCS#8, SEC1 or PKCS#1; encrypted keys need --passphrase-env) or a pkcs11: URI (RFC 7512; with --module and --pin-env; the key never leaves the token). Required unless --ephemeral." };
        var module = Pkcs11Options.Module();
        var pinEnv = Pkcs11Options.PinEnv();
        var cert = new Option<string?>("--cert") { Description = "Signing certificate (code-signing profile); a bundle's further certificates are used as the chain. Required unless --ephemeral." };
        var ephemeral = new Option<bool>("--ephemeral") { Description = "Sign with a fresh in-memory key, certified for code signing by the CA at --home for --ttl; never written. Needs a timestamp." };
        var ephemeralSan = new Option<string[]>("--san") { Description = "With --ephemeral: SANs of the signing certificate (uri:…, dns:…, email:…; repeatable)." };
        var ephemeralTtl = new Option<string>("--ttl") { Description = "With --ephemeral: lifetime of the signing certificate.", DefaultValueFactory = _ => "15m" };
        var chain = new Option<string[]>("--chain") { Description = "Intermediate certificates to include.", AllowMultipleArgumentsPerToken = true };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding the key's passphrase." };
        var format = new Option<string>("--signature-format") { Description = "cms (FILE.p7s), bundle (Sigstore v0.3, FILE.sigstore.json) or both (default; cms alone when the key or a missing timestamp rules the bundle out).", DefaultValueFactory = _ => "both" };
        format.AcceptOnlyFromAmong("cms", "bundle", "both");

        var timestamp = new Option<string>("--timestamp") { Description = "RFC 3161 timestamp: local (the CA at --home), an https/http TSA URL, or none. Default: local when a CA home exists, else none.", DefaultValueFactory = _ => "auto" };
        var home = CommandKit.HomeOption();
        var caPassphraseEnv = new Option<string>("--ca-passphrase-env") { Description = "Environment variable holding the local CA's passphrase (for --timestamp local).", DefaultValueFactory = _ => CommandKit.DefaultPassphraseVariable };
        var outDir = new Option<string?>("--out-dir") { Description = "Write signatures here instead of next to each artifact." };
        var manifest = new Option<string?>("--manifest") { Description = "Write a sha256sum-format manifest of all files to this path and sign the manifest (one signature for a release directory)." };
        var timeout = new Option<string>("--timeout") { Description = "Timeout for a TSA request.", DefaultValueFactory = _ => "10s" };
        var output = CommandKit.FormatOption("text", "json");
        var command = new Command("sign", "Sign artifacts: a detached CMS signature (FILE.p7s) with the certificate path and an RFC 3161 timestamp.")
        {
            files, digest, subject, key, cert, chain, passphraseEnv, module, pinEnv, format, timestamp, home, caPassphraseEnv, outDir, manifest, timeout, output,
            ephemeral, ephemeralSan, ephemeralTtl,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var keyPath = parse.GetValue(key);
            var certPath = parse.GetValue(cert);
            var isEphemeral = parse.GetValue(ephemeral);
            var variable = parse.GetValue(passphraseEnv);
            if (isEphemeral && (keyPath is not null || certPath is not null))
            {
                throw new UsageException("--ephemeral makes its own key and certificate; drop --key and --cert.");
            }

            if (!isEphemeral && (keyPath is null || certPath is null))
            {
                throw new UsageException("--key and --cert are required (or --ephemeral with --home, to sign with a fresh in-memory key).");
            }

            var source = TimestampSource(app, parse.GetValue(timestamp)!, parse.GetValue(home), parse.GetValue(caPassphraseEnv)!, Durations.Parse(parse.GetValue(timeout)!, "--timeout"));
            if (source is null && isEphemeral)
            {
                // The certificate lives minutes: without a timestamp the signatures would stop verifying almost at once.
                throw new UsageException("--ephemeral needs a timestamp (the certificate lives only --ttl): use --timestamp local with a CA at --home, or a TSA URL.");
            }

            using var identity = isEphemeral
                ? await new EphemeralSigner(app.Services.GetRequiredService<LocalAuthorityFactory>()
                        .Open(CommandKit.ResolveHome(app, parse.GetValue(home)), CommandKit.Passphrase(app, parse.GetValue(caPassphraseEnv)!)))
                    .CreateAsync(
                        new EphemeralSignerRequest(
                            "pipeline-pki ephemeral signer",
                            (parse.GetValue(ephemeralSan) ?? []).Select(SubjectAlternativeName.Parse).ToList(),
                            Durations.Parse(parse.GetValue(ephemeralTtl)!, "--ttl"),
                            KeySpec.Default,
                            CommandKit.Requester(app, parse)),
                        cancellationToken)
                : null;
            using ISigningKey? fileKey = identity is not null ? null
                : Pkcs11Options.IsPkcs11(keyPath!)
                    ? ExternalKeyProviders.For(app.Services.GetService<IExternalKeyProvider>(), keyPath!, "--key").Open(Pkcs11Options.Reference(app, parse, keyPath!, module, pinEnv))
                    : PrivateKeyCodec.Read(PkiObjectReader.ReadFile(keyPath!), keyPath!, variable is null ? () => null : CommandKit.Passphrase(app, variable).Invoke);
            var signingKey = identity?.Key ?? fileKey!;
            IReadOnlyList<Org.BouncyCastle.X509.X509Certificate> certificates = identity is null ? PkiObjectReader.ReadCertificates(certPath!) : [identity.Certificate, .. identity.Chain];
            var intermediates = certificates.Skip(1).Concat((parse.GetValue(chain) ?? []).SelectMany(PkiObjectReader.ReadCertificates)).ToList();
            if (source is null)
            {
                app.Error.WriteLine("pipeline-pki: warning: no timestamp: the signatures stop verifying when the signing certificate expires (use --timestamp local or a TSA URL).");
            }

            var artifacts = ArtifactSet.Expand(parse.GetValue(files) ?? []).ToList();
            foreach (var imageDigest in parse.GetValue(digest) ?? [])
            {
                // The payload is the artifact: signing it binds the signature to exactly this image digest.
                var payloadDirectory = parse.GetValue(outDir) ?? ".";
                Core.IO.AtomicFile.CreatePrivateDirectory(payloadDirectory);
                var payloadPath = Path.Combine(payloadDirectory, ImageDigestPayload.FileNameFor(imageDigest));
                Core.IO.AtomicFile.Write(payloadPath, ImageDigestPayload.Create(imageDigest, parse.GetValue(subject)), secret: false);
                artifacts.Add(payloadPath);
            }

            if (artifacts.Count == 0)
            {
                throw new UsageException("give files to sign, or --digest sha256:HEX for a container image.");
            }

            var progress = new ProgressReporter(app.Error, interactive: !Console.IsErrorRedirected);
            var manifestPath = parse.GetValue(manifest);
            int? entries = null;
            if (manifestPath is not null)
            {
                // Re-signing a release directory must not list the previous manifest or its signature.
                var own = new[] { Path.GetFullPath(manifestPath), Path.GetFullPath(manifestPath) + ".p7s", Path.GetFullPath(manifestPath) + ".sigstore.json" };
                artifacts = [.. artifacts.Where(a => !own.Contains(Path.GetFullPath(a)))];
                entries = (await ChecksumManifest.WriteAsync(manifestPath, artifacts, progress, cancellationToken)).Count;
                artifacts = [manifestPath];
            }

            var signatureFormat = parse.GetValue(format)!;
            var bundle = signatureFormat is "bundle" or "both";
            if (signatureFormat == "both" && (source is null || signingKey is not IDigestSigningKey || signingKey.Spec.Family == KeyAlgorithmFamily.Ed25519))
            {
                // The default asks for both; where a bundle is impossible, CMS alone is still a complete signature.
                bundle = false;
                app.Error.WriteLine($"pipeline-pki: warning: no Sigstore bundle ({(source is null ? "it needs a timestamp" : $"Sigstore cannot verify {signingKey.Spec.Name} signatures")}); writing CMS only.");
            }

            var signed = await new ArtifactSigner(app.Services.GetRequiredService<TimeProvider>()).SignAsync(
                new SignArtifactsRequest(artifacts, signingKey, certificates[0], intermediates, source, parse.GetValue(outDir), signatureFormat != "bundle", bundle),
                progress,
                cancellationToken);
            await GovernanceKit.Audit(app, parse, CommandKit.ResolveHome(app, parse.GetValue(home))).RecordAsync(
                ArtifactAudit.Signed(GovernanceKit.Actor(app, parse), certificates[0], signingKey.Spec.Name, signed), cancellationToken);
            app.CiPublisher.Publish(new Ci.Steps.SignOutputs(signed, manifestPath));
            var ephemeralOutput = identity is null ? null
                : new EphemeralSignerOutput(identity.Record.Serial, identity.Record.Subject, identity.Record.SubjectAlternativeNames, identity.Record.NotAfter);
            CommandKit.Render(app, parse.GetValue(output), new SignOutput(signed, manifestPath is null ? null : Path.GetFullPath(manifestPath), entries, ephemeralOutput), () => CliJson.Default.SignOutput, TextRender.Signed);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Verify(CliApp app)
    {
        var files = new Argument<string[]>("files") { Description = "Artifacts to verify (each with FILE.p7s beside it unless --signature).", Arity = ArgumentArity.OneOrMore };
        var signature = new Option<string?>("--signature") { Description = "The signature file (CMS or Sigstore bundle, detected by content), when verifying one artifact whose signature is elsewhere. Default: FILE.p7s, else FILE.sigstore.json." };
        var trust = new Option<string[]>("--trust") { Description = "Trust anchors (repeatable).", Required = true, AllowMultipleArgumentsPerToken = true };
        var untrusted = new Option<string[]>("--untrusted") { Description = "Extra intermediates (a Sigstore bundle carries only the leaf: pass chain.pem here).", AllowMultipleArgumentsPerToken = true };
        var crl = new Option<string[]>("--crl") { Description = "CRLs (others are fetched from distribution points).", AllowMultipleArgumentsPerToken = true };
        var revocation = new Option<string>("--revocation") { Description = "auto, crl, ocsp or none.", DefaultValueFactory = _ => "auto" };
        revocation.AcceptOnlyFromAmong("auto", "crl", "ocsp", "none");
        var softFail = new Option<bool>("--soft-fail") { Description = "Accept unknown revocation status." };
        var at = new Option<string?>("--at") { Description = "Judge untimestamped signatures at this time (ISO 8601) instead of now." };
        var identity = new Option<string?>("--identity") { Description = "Regular expression a SAN of the signer must match entirely (URI first, then email, DNS)." };
        var timeout = new Option<string>("--timeout") { Description = "Timeout for CRL and OCSP fetches.", DefaultValueFactory = _ => "10s" };
        var manifest = new Option<bool>("--manifest") { Description = "Each FILE is a signed sha256sum manifest: verify its signature, then every file it lists." };
        var imageDigest = new Option<string?>("--digest") { Description = "Each FILE is an image signature payload (sign --digest): it must name this digest." };
        var imageSubject = new Option<string?>("--subject") { Description = "With --digest: the image reference the payload must name." };
        var output = CommandKit.FormatOption("text", "json");
        var policyFile = GovernanceKit.PolicyOption();
        var command = new Command("verify", "Verify artifact signatures: integrity, signature, signer path (codeSigning, revocation), timestamp, identity. Exit 0 valid, 4 not valid.")
        {
            files, signature, trust, untrusted, crl, revocation, softFail, at, identity, timeout, manifest, imageDigest, imageSubject, output, policyFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var targets = parse.GetValue(files)!;
            if (parse.GetValue(signature) is not null && targets.Length != 1)
            {
                throw new UsageException("--signature names the signature of one artifact; give exactly one file with it.");
            }

            var anchors = (parse.GetValue(trust) ?? []).SelectMany(PkiObjectReader.ReadCertificates).ToList();
            var pool = (parse.GetValue(untrusted) ?? []).SelectMany(PkiObjectReader.ReadCertificates).ToList();
            var crls = (parse.GetValue(crl) ?? []).SelectMany(CrlFiles.Read).ToList();
            var verifier = new ArtifactVerifier(
                app.Verifiers.Create(Durations.Parse(parse.GetValue(timeout)!, "--timeout")),
                app.Services.GetRequiredService<TimeProvider>());
            var outcomes = new List<ArtifactVerificationOutcome>();
            var policyDocument = GovernanceKit.LoadPolicy(app, parse.GetValue(policyFile));
            var (revocationMode, softFailing) = Core.Policy.PolicyGate.Revocation(
                policyDocument, Enum.Parse<RevocationMode>(parse.GetValue(revocation)!, ignoreCase: true), parse.GetValue(softFail));
            var evaluations = new List<Core.Policy.PolicyEvaluation>();
            var progress = new ProgressReporter(app.Error, interactive: !Console.IsErrorRedirected);
            foreach (var file in ArtifactSet.Expand(targets))
            {
                var outcome = await verifier.VerifyAsync(
                    new VerifyArtifactRequest(file, parse.GetValue(signature), anchors, pool, crls,
                        revocationMode, softFailing,
                        VerifyCommand.ParseTime(parse.GetValue(at)), parse.GetValue(identity)),
                    new Progress<long>(bytes => progress.Report((file, bytes))),
                    cancellationToken);
                if (parse.GetValue(manifest))
                {
                    // Only a manifest whose signature holds is worth reading.
                    var (entries, problems) = outcome.IsValid ? await ChecksumManifest.CheckAsync(file, cancellationToken) : ([], ["not read: the manifest's signature is not valid"]);
                    var check = problems.Count == 0
                        ? new CheckResult("manifest", CheckStatus.Passed, $"all {entries.Count} listed files match")
                        : new CheckResult("manifest", CheckStatus.Failed, string.Join("; ", problems));
                    outcome = outcome with { IsValid = outcome.IsValid && problems.Count == 0, Checks = [.. outcome.Checks, check] };
                }

                if (parse.GetValue(imageDigest) is { } expectedDigest)
                {
                    var (named, reference) = ImageDigestPayload.Read(PkiObjectReader.ReadFile(file), file);
                    var wanted = ImageDigestPayload.Normalize(expectedDigest);
                    var wantedSubject = parse.GetValue(imageSubject);
                    var problem = named != wanted ? $"the payload is for {named}, not {wanted}"
                        : wantedSubject is not null && reference != wantedSubject ? $"the payload names {reference}, not {wantedSubject}"
                        : null;
                    var check = problem is null
                        ? new CheckResult("image", CheckStatus.Passed, $"signs {named}{(reference.Length > 0 ? $" ({reference})" : string.Empty)}")
                        : new CheckResult("image", CheckStatus.Failed, problem);
                    outcome = outcome with { IsValid = outcome.IsValid && problem is null, Checks = [.. outcome.Checks, check] };
                }

                outcomes.Add(outcome);
                if (policyDocument is not null)
                {
                    evaluations.Add(await new Core.Policy.PolicyGate(
                            app.Verifiers.Create(TimeSpan.FromSeconds(10)), app.Services.GetRequiredService<TimeProvider>())
                        .CheckArtifactAsync(policyDocument, file, parse.GetValue(signature), anchors, pool, outcome.TimestampTime ?? VerifyCommand.ParseTime(parse.GetValue(at)),
                            new Core.Policy.RevocationChecking(revocationMode != RevocationMode.None, softFailing), cancellationToken));
                }
            }

            await ArtifactAudit.RecordVerificationsAsync(GovernanceKit.Audit(app, parse, CommandKit.ResolveHome(app, null)), GovernanceKit.Actor(app, parse), outcomes, evaluations, cancellationToken);
            foreach (var evaluation in evaluations)
            {
                evaluation.ThrowIfViolated();
            }

            var result = new VerifyArtifactsOutput(outcomes.All(o => o.IsValid), outcomes);
            app.CiPublisher.Publish(new Ci.Steps.VerifyOutputs(outcomes));
            CommandKit.Render(app, parse.GetValue(output), result, () => CliJson.Default.VerifyArtifactsOutput, TextRender.ArtifactVerification);
            return result.IsValid ? ExitCodes.Success : ExitCodes.NotValid;
        });
        return command;
    }

    private static ITimestampSource? TimestampSource(CliApp app, string value, string? home, string caPassphraseVariable, TimeSpan timeout)
    {
        var resolvedHome = CommandKit.ResolveHome(app, home);
        switch (value)
        {
            case "none":
                return null;
            case "auto" when !LocalCaHome.Exists(resolvedHome):
                return null;
            case "auto" or "local":
                var authority = app.Services.GetRequiredService<LocalAuthorityFactory>().Open(resolvedHome, CommandKit.Passphrase(app, caPassphraseVariable));
                return new LocalTimestampSource(authority.OpenTimestampAuthority());
            default:
                if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
                {
                    throw new UsageException($"--timestamp: '{value}' is not local, none or an http(s) TSA URL.");
                }

                var client = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(VerifierFactory.HttpClientName);
                return new HttpTimestampSource(new TimestampClient(client, timeout), url);
        }
    }
}
