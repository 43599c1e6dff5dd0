using System.CommandLine;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Audit;

namespace PipelinePki.Cli.Commands;

/// <summary><c>audit verify</c>: is the hash chain of an audit log intact, and if not, which line broke it.</summary>
internal static class AuditCommands
{
    public static Command Create(CliApp app)
    {
        var audit = new Command("audit", "The hash-chained audit log (one JSON line per issuance, renewal, revocation, CRL, signature and verification).");
        app.AddSubcommands(
            audit,
            depth: 1,
            ("verify", Verify));
        return audit;
    }

    private static Command Verify(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("verify", "Check the audit log's hash chain; exit 0 intact, 4 edited, removed or inserted lines (the line is named).") { home, format };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(app.AuditLogOption)
                ?? (app.GetEnvironmentVariable(GovernanceKit.AuditLogVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null)
                ?? Path.Combine(CommandKit.ResolveHome(app, parse.GetValue(home)), AuditLogFile.DefaultFileName);
            var result = AuditChainVerifier.Verify(path);
            CommandKit.Render(app, parse.GetValue(format), result, () => GovernanceJson.Default.AuditVerification, (w, r) =>
                w.WriteLine(r.Intact
                    ? $"{r.File}: chain intact, {r.Lines} line(s); last hash {r.LastHash ?? "(empty log)"}"
                    : $"{r.File}: chain BROKEN at line {r.Line}: {r.Problem}"));
            if (!result.Intact)
            {
                app.Error.WriteLine($"pipeline-pki: error: {result.File}:{result.Line}: {result.Problem}; restore the log from a copy (your SIEM has every line).");
                return ExitCodes.NotValid;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
