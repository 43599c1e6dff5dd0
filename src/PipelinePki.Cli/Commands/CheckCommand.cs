using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation;

namespace PipelinePki.Cli.Commands;

/// <summary><c>cert check</c>: the pipeline pre-flight over certificate files and live endpoints.</summary>
internal static class CheckCommand
{
    public static Command Create(CliApp app)
    {
        var targets = new Argument<string[]>("targets") { Description = "Certificate files (PEM/DER, bundles) or https://host:port endpoints.", Arity = ArgumentArity.OneOrMore };
        var minRemaining = new Option<string>("--min-remaining") { Description = "Fail when anything on the path expires within this margin.", DefaultValueFactory = _ => "72h" };
        var warnRemaining = new Option<string?>("--warn-remaining") { Description = "Warn (exit 0) when anything expires within this softer margin." };
        var trust = new Option<string[]>("--trust") { Description = "Trust anchors (default: the system bundle, $SSL_CERT_FILE or " + CommandKit.SystemTrustBundle + ").", AllowMultipleArgumentsPerToken = true };
        var untrusted = new Option<string[]>("--untrusted") { Description = "Intermediates that may help build paths.", AllowMultipleArgumentsPerToken = true };
        var crl = new Option<string[]>("--crl") { Description = "CRLs to use (others are fetched from distribution points).", AllowMultipleArgumentsPerToken = true };
        var revocation = new Option<string>("--revocation") { Description = "auto, crl, ocsp or none.", DefaultValueFactory = _ => "auto" };
        revocation.AcceptOnlyFromAmong("auto", "crl", "ocsp", "none");
        var softFail = new Option<bool>("--soft-fail") { Description = "Accept unknown revocation status (reported as a warning)." };
        var timeout = new Option<string>("--timeout") { Description = "Timeout per connection or fetch.", DefaultValueFactory = _ => "10s" };
        var format = CommandKit.FormatOption("text", "json");
        var policyFile = GovernanceKit.PolicyOption();
        var command = new Command("check", "Pipeline pre-flight: expiry margin, chain, revocation for files or live endpoints. Exit 0 ok (or warnings), 4 failed, 6 unreachable.")
        {
            targets, minRemaining, warnRemaining, trust, untrusted, crl, revocation, softFail, timeout, format, policyFile,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var trustFiles = CommandKit.TrustFilesOrSystem(app, parse.GetValue(trust));
            var timeoutValue = Durations.Parse(parse.GetValue(timeout)!, "--timeout");
            var policyDocument = GovernanceKit.LoadPolicy(app, parse.GetValue(policyFile));
            var request = new PreflightRequest(
                parse.GetValue(targets)!,
                Durations.Parse(parse.GetValue(minRemaining)!, "--min-remaining"),
                parse.GetValue(warnRemaining) is { } w ? Durations.Parse(w, "--warn-remaining") : null,
                trustFiles.SelectMany(PkiObjectReader.ReadCertificates).ToList(),
                (parse.GetValue(untrusted) ?? []).SelectMany(PkiObjectReader.ReadCertificates).ToList(),
                (parse.GetValue(crl) ?? []).SelectMany(CrlFiles.Read).ToList(),
                Enum.Parse<RevocationMode>(parse.GetValue(revocation)!, ignoreCase: true),
                parse.GetValue(softFail),
                timeoutValue);
            request = GovernanceKit.ApplyPolicy(policyDocument, request);
            await GovernanceKit.EnforceFilesAsync(app, policyDocument, request, cancellationToken);
            var checker = new PreflightChecker(app.Verifiers.Create(timeoutValue), app.Services.GetRequiredService<TimeProvider>());
            var report = await checker.RunAsync(request, cancellationToken);
            app.CiPublisher.Publish(new Ci.Steps.CheckOutputs(report, request.MinRemaining, request.WarnRemaining, app.Services.GetRequiredService<TimeProvider>().GetUtcNow()));
            CommandKit.Render(app, parse.GetValue(format), report, () => CliJson.Default.PreflightReport, TextRender.Preflight);

            foreach (var row in report.Rows.Where(r => r.Status == PreflightStatus.Warning))
            {
                app.Error.WriteLine($"pipeline-pki: warning: {row.Target}: {string.Join("; ", row.Reasons)}");
            }

            return report.AnyFailed ? ExitCodes.NotValid : report.AnyUnreachable ? ExitCodes.RemoteFailure : ExitCodes.Success;
        });
        return command;
    }
}
