using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Signing;
using PipelinePki.Core.Signing.Timestamping;
using PipelinePki.Core.Validation;

namespace PipelinePki.Cli;

/// <summary>
/// <c>pipeline-pki</c> as git's <c>gpg.x509.program</c>: git runs it with gpgsm's arguments
/// (<c>--status-fd=2 -bsau KEY</c> to sign, <c>--status-fd=1 --verify SIG -</c> to verify), the
/// payload on stdin, and reads gpgsm's <c>[GNUPG:]</c> status lines. Configuration comes from the
/// environment, since git passes nothing else: <c>PIPELINE_PKI_GIT_TRUST</c> (trust anchors for
/// verification), <c>PIPELINE_PKI_GIT_REVOCATION</c> (auto, crl, ocsp, none; default auto) and
/// <c>PIPELINE_PKI_TIMESTAMP</c> (local, a TSA URL, or none; default local when a CA home exists).
/// </summary>
internal static class GitProgram
{
    public static bool IsGitInvocation(string[] args) => args.Length > 0 && args[0].StartsWith("--status-fd", StringComparison.Ordinal);

    public static async Task<int> RunAsync(CliApp app, string[] args, Stream input, CancellationToken cancellationToken)
    {
        var statusFd = args[0].Contains('=', StringComparison.Ordinal) ? args[0][(args[0].IndexOf('=', StringComparison.Ordinal) + 1)..] : args.ElementAtOrDefault(1);
        var status = statusFd == "1" ? app.Output : app.Error;
        var payload = await ReadAllAsync(input, cancellationToken);
        try
        {
            var verifyAt = Array.IndexOf(args, "--verify");
            if (verifyAt >= 0 && verifyAt + 1 < args.Length)
            {
                return await VerifyAsync(app, args[verifyAt + 1], payload, status, cancellationToken);
            }

            var userAt = Array.FindIndex(args, a => a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a.Contains('u', StringComparison.Ordinal) && a.Contains('s', StringComparison.Ordinal));
            if (userAt >= 0 && userAt + 1 < args.Length)
            {
                return await SignAsync(app, args[userAt + 1], payload, status, cancellationToken);
            }

            app.Error.WriteLine("pipeline-pki: error: as git's gpg.x509.program, expected '-bsau KEY' (sign) or '--verify SIG -' (verify).");
            return 2;
        }
        catch (PipelinePkiException e)
        {
            app.Error.WriteLine($"pipeline-pki: error: {e.Message}");
            return e is UsageException ? 2 : 1;
        }
    }

    private static async Task<int> SignAsync(CliApp app, string identity, byte[] payload, TextWriter status, CancellationToken cancellationToken)
    {
        var timestamp = TimestampSource(app);
        if (timestamp is null)
        {
            app.Error.WriteLine("pipeline-pki: warning: no timestamp (set PIPELINE_PKI_HOME or PIPELINE_PKI_TIMESTAMP): the signature stops verifying when the certificate expires.");
        }

        var signature = await new GitSigning(app.Services.GetRequiredService<TimeProvider>()).SignAsync(payload, identity, timestamp, cancellationToken);
        status.WriteLine("[GNUPG:] BEGIN_SIGNING");
        // gpgsm's SIG_CREATED: type D(etached), public-key and hash algorithm numbers, class 00, time, fingerprint.
        status.WriteLine($"[GNUPG:] SIG_CREATED D {(signature.PublicKeyAlgorithm.StartsWith("rsa", StringComparison.Ordinal) ? 1 : 19)} 8 00 {signature.SignedAt.ToUnixTimeSeconds()} {signature.Fingerprint}");
        app.Output.Write(signature.Armored);
        return 0;
    }

    private static async Task<int> VerifyAsync(CliApp app, string signaturePath, byte[] payload, TextWriter status, CancellationToken cancellationToken)
    {
        var trustFile = app.GetEnvironmentVariable("PIPELINE_PKI_GIT_TRUST");
        var cms = GitSigning.Unarmor(PkiObjectReader.ReadFile(signaturePath), signaturePath);
        var signer = CertificateDescriber.Describe(GitSigning.SignerOf(cms, signaturePath));
        var keyId = signer.Sha256Fingerprint[^16..];
        status.WriteLine("[GNUPG:] NEWSIG");
        if (string.IsNullOrEmpty(trustFile))
        {
            status.WriteLine($"[GNUPG:] ERRSIG {keyId} 0 0 00 0 9");
            app.Error.WriteLine("pipeline-pki: error: set PIPELINE_PKI_GIT_TRUST to the trust anchors (root.pem) that git signatures must chain to.");
            return 1;
        }

        // The artifact verifier works on files: the payload and signature go to a private temp folder.
        var work = Path.Combine(Path.GetTempPath(), "pipeline-pki-git-" + Guid.NewGuid().ToString("N"));
        Core.IO.AtomicFile.CreatePrivateDirectory(work);
        try
        {
            var payloadPath = Path.Combine(work, "payload");
            await File.WriteAllBytesAsync(payloadPath, payload, cancellationToken);
            await File.WriteAllBytesAsync(payloadPath + ".p7s", cms, cancellationToken);
            var revocation = app.GetEnvironmentVariable("PIPELINE_PKI_GIT_REVOCATION") is { Length: > 0 } mode
                ? Enum.TryParse<RevocationMode>(mode, ignoreCase: true, out var parsed) ? parsed : throw new UsageException($"PIPELINE_PKI_GIT_REVOCATION: '{mode}' is not auto, crl, ocsp or none.")
                : RevocationMode.Auto;
            var verifier = new ArtifactVerifier(app.Verifiers.Create(TimeSpan.FromSeconds(10)), app.Services.GetRequiredService<TimeProvider>());
            var outcome = await verifier.VerifyAsync(
                new VerifyArtifactRequest(payloadPath, null, PkiObjectReader.ReadCertificates(trustFile), [], [], revocation, false, null, null),
                null,
                cancellationToken);
            var when = outcome.TimestampTime ?? DateTimeOffset.UtcNow;
            if (outcome.IsValid)
            {
                status.WriteLine($"[GNUPG:] GOODSIG {keyId} {signer.Subject}");
                status.WriteLine($"[GNUPG:] VALIDSIG {signer.Sha256Fingerprint} {when:yyyy-MM-dd} {when.ToUnixTimeSeconds()} 0 - - - - 00");
                status.WriteLine("[GNUPG:] TRUST_FULLY 0 chain");
                app.Error.WriteLine($"pipeline-pki: Good signature from \"{signer.Subject}\"{(outcome.TimestampTime is { } t ? $", timestamped {t:u}" : string.Empty)}");
                return 0;
            }

            status.WriteLine($"[GNUPG:] BADSIG {keyId} {signer.Subject}");
            foreach (var failure in outcome.Checks.Where(c => c.Status == CheckStatus.Failed))
            {
                app.Error.WriteLine($"pipeline-pki: BAD signature from \"{signer.Subject}\": {failure.Check}: {failure.Detail}");
            }

            return 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static ITimestampSource? TimestampSource(CliApp app)
    {
        var setting = app.GetEnvironmentVariable("PIPELINE_PKI_TIMESTAMP") is { Length: > 0 } value ? value : "auto";
        var home = app.GetEnvironmentVariable("PIPELINE_PKI_HOME") is { Length: > 0 } h ? h : LocalCaHome.DefaultDirectory;
        if (setting == "none" || (setting == "auto" && !LocalCaHome.Exists(home)))
        {
            return null;
        }

        if (setting is "auto" or "local")
        {
            var authority = app.Services.GetRequiredService<LocalAuthorityFactory>().Open(home, () => app.GetEnvironmentVariable("PIPELINE_PKI_CA_PASSPHRASE") is { Length: > 0 } p ? p.AsMemory() : (ReadOnlyMemory<char>?)null);
            return new LocalTimestampSource(authority.OpenTimestampAuthority());
        }

        var url = Uri.TryCreate(setting, UriKind.Absolute, out var parsed) ? parsed : throw new UsageException($"PIPELINE_PKI_TIMESTAMP: '{setting}' is not local, none or a TSA URL.");
        return new HttpTimestampSource(new TimestampClient(app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(VerifierFactory.HttpClientName), TimeSpan.FromSeconds(10)), url);
    }

    private static async Task<byte[]> ReadAllAsync(Stream input, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await input.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
