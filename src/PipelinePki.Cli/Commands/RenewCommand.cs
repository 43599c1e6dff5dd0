using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.IO;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Renewal;

namespace PipelinePki.Cli.Commands;

public sealed record RenewOutput(
    bool Renewed,
    string Reason,
    DateTimeOffset DueAt,
    string PreviousSerial,
    DateTimeOffset PreviousNotAfter,
    string? Serial = null,
    DateTimeOffset? NotAfter = null,
    bool? KeyReused = null,
    IReadOnlyList<string>? Files = null);

/// <summary>
/// <c>cert renew --cert DIR</c>: when the certificate in DIR is due, replay the <c>cert issue</c>
/// recorded in DIR/issue.json through the same command line (so every source — local, Vault, ACME —
/// renews without code of its own), into a staging directory, then swap the whole file set in.
/// </summary>
internal static class RenewCommand
{
    private const string RenewalCsr = "renewal.csr";

    public static Command Create(CliApp app)
    {
        var directory = new Option<string>("--cert") { Description = "The directory 'cert issue --out' wrote (cert.pem, key.pem, issue.json...).", Required = true };
        var before = new Option<string>("--before") { Description = "Renew when this much is left: a share of the lifetime (33%) or a duration (8h).", DefaultValueFactory = _ => "33%" };
        var reuseKey = new Option<bool>("--reuse-key") { Description = "Keep the existing key (the new certificate is issued from a CSR of key.pem); default is a fresh key." };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("renew", "Renew a certificate when due, from the source and options recorded by cert issue; files are replaced all at once.")
        {
            directory, before, reuseKey, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = Path.GetFullPath(parse.GetValue(directory)!);
            var threshold = RenewalThreshold.Parse(parse.GetValue(before)!);
            FileSetReplacement.Recover(dir);
            var record = IssueRecord.Read(dir);
            var current = CertificateDescriber.Describe(PkiObjectReader.ReadSingleCertificate(Path.Combine(dir, "cert.pem")));
            var time = app.Services.GetRequiredService<TimeProvider>();
            var decision = RenewalSchedule.Decide(current.NotBefore, current.NotAfter, time.GetUtcNow(), threshold);
            var jsonOutput = parse.GetValue(format) == "json";
            if (!decision.Due)
            {
                var notDue = new RenewOutput(false, decision.Reason, decision.DueAt, current.Serial, current.NotAfter);
                app.CiPublisher.Publish(new Ci.Steps.RenewOutputs(IssueOutputsIn(dir, current), Renewed: false));
                CommandKit.Render(app, parse.GetValue(format), notDue, () => CliJson.Default.RenewOutput, TextRender.Renewed);
                return ExitCodes.Success;
            }

            var reuse = parse.GetValue(reuseKey);
            if (reuse && record.Options.Any(o => o.Option == "--csr"))
            {
                throw new UsageException($"--reuse-key: {dir} was issued from a CSR, so the key was never this tool's; renewal replays that CSR already, drop --reuse-key.");
            }

            var staging = FileSetReplacement.CreateStaging(dir);
            try
            {
                // "--format json" as two words: that is how the command line recognises a JSON run before parsing, for errors too.
                // --ci none: the replayed issue must not publish CI outputs naming the staging directory; renew publishes its own.
                List<string> arguments = ["cert", "issue", .. record.Arguments(), $"--out={staging}", "--format", "json", "--ci=none"];
                if (parse.GetValue(app.VerboseOption))
                {
                    arguments.Add("--verbose");
                }

                var keyPath = Path.Combine(dir, "key.pem");
                byte[]? keyFile = null;
                if (reuse)
                {
                    keyFile = PkiObjectReader.ReadFile(keyPath);
                    using var key = PrivateKeyCodec.Read(keyFile, keyPath, () => null);
                    AtomicFile.WriteText(Path.Combine(staging, RenewalCsr), CertificationRequestBuilder.BuildPem(key, record.Request.Name, []), secret: false);
                    arguments.Add($"--csr={Path.Combine(staging, RenewalCsr)}");
                }

                // The same parser and the same command objects as a user's 'cert issue': whatever sources and
                // options this build has, renewal speaks them. Its output is captured; errors reach stderr once.
                using var captured = new StringWriter();
                var replay = new CliApp(captured, app.Error, app.GetEnvironmentVariable, time);
                var code = await replay.RunAsync([.. arguments], cancellationToken);
                if (code != ExitCodes.Success)
                {
                    if (jsonOutput)
                    {
                        app.Output.Write(captured.ToString());
                    }

                    FileSetReplacement.Discard(staging);
                    return code;
                }

                File.Delete(Path.Combine(staging, RenewalCsr));
                if (keyFile is not null)
                {
                    AtomicFile.Write(Path.Combine(staging, "key.pem"), keyFile, secret: true);
                }

                // Keep the user's options, not the staging path or the renewal CSR.
                var issuedRecord = IssueRecord.Read(staging) with { Options = record.Options };
                issuedRecord.Write(staging);
                var renewed = CertificateDescriber.Describe(PkiObjectReader.ReadSingleCertificate(Path.Combine(staging, "cert.pem")));
                var files = FileSetReplacement.Commit(staging);
                var result = new RenewOutput(true, decision.Reason, decision.DueAt, current.Serial, current.NotAfter, renewed.Serial, renewed.NotAfter, reuse, files);
                app.CiPublisher.Publish(new Ci.Steps.RenewOutputs(IssueOutputsIn(dir, CertificateDescriber.Describe(PkiObjectReader.ReadSingleCertificate(Path.Combine(dir, "cert.pem")))), Renewed: true));
                CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.RenewOutput, TextRender.Renewed);
                return ExitCodes.Success;
            }
            catch
            {
                FileSetReplacement.Discard(staging);
                throw;
            }
        });
        return command;
    }

    /// <summary>The same step outputs 'cert issue' publishes, for the certificate now in <paramref name="directory"/>.</summary>
    private static Ci.Steps.IssueOutputs IssueOutputsIn(string directory, CertificateInfo certificate)
    {
        string? Existing(string name) => File.Exists(Path.Combine(directory, name)) ? Path.Combine(directory, name) : null;
        var files = new IssuedFiles(
            Path.Combine(directory, "cert.pem"), Path.Combine(directory, "chain.pem"), Path.Combine(directory, "fullchain.pem"), Existing("root.pem"), Existing("key.pem"));
        return new Ci.Steps.IssueOutputs(files, certificate.Subject, certificate.Serial, certificate.NotBefore, certificate.NotAfter, certificate.Sha256Fingerprint);
    }
}
