using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Audit;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Governance;
using PipelinePki.Core.Inventory;

namespace PipelinePki.Cli.Commands;

/// <summary><c>ca report</c>, <c>ca watch</c>, the inventory filters and pages, and the CA commands' audit lines.</summary>
internal static class GovernanceCommands
{
    /// <summary>The <c>ca inventory</c> filters, kept together so the command only adds and applies them.</summary>
    internal sealed class InventoryFilters
    {
        public Option<string?> ExpiringWithin { get; } = new("--expiring-within") { Description = "Only valid certificates that expire within this margin (7d, 12h); each one is also a warning on stderr." };

        public Option<string?> Status { get; } = new("--status") { Description = "Only certificates with this status: valid, revoked or expired." };

        public Option<string?> RequestedBy { get; } = new("--requested-by") { Description = "Only certificates whose requester (platform:repository#run, repository or user) contains this text." };

        public void AddTo(Command command)
        {
            Status.AcceptOnlyFromAmong([.. InventoryQuery.Statuses]);
            command.Options.Add(ExpiringWithin);
            command.Options.Add(Status);
            command.Options.Add(RequestedBy);
        }

        public IReadOnlyList<InventoryRecord> Apply(ParseResult parse, IEnumerable<InventoryRecord> records, DateTimeOffset now) =>
            new InventoryQuery(
                parse.GetValue(ExpiringWithin) is { } margin ? Durations.Parse(margin, "--expiring-within") : null,
                parse.GetValue(Status),
                parse.GetValue(RequestedBy)).Apply(records, now);

        /// <summary>One warning line per expiring certificate: the CI adapter turns each into an annotation.</summary>
        public void WarnExpiring(CliApp app, ParseResult parse, IReadOnlyList<InventoryRecord> records, DateTimeOffset now)
        {
            if (parse.GetValue(ExpiringWithin) is not { } text)
            {
                return;
            }

            var margin = Durations.Parse(text, "--expiring-within");
            foreach (var record in records)
            {
                app.Error.WriteLine($"pipeline-pki: warning: {ExpiryFinding.ForRecord(record, now, margin).Message}");
            }
        }
    }

    public static InventoryFilters InventoryFilterOptions() => new();

    public static void RenderInventoryPage(CliApp app, string format, IReadOnlyList<InventoryRecord> records, DateTimeOffset now, string caName)
    {
        var title = $"Certificate inventory: {caName}";
        app.Output.Write(format == "html" ? InventoryPages.Html(records, now, title) : InventoryPages.Markdown(records, now, title));
    }

    public static Command Report(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var compliance = new Option<bool>("--compliance") { Description = "The compliance summary (the one report there is; required)." };
        var since = new Option<string?>("--since") { Description = "Start of the period: ISO 8601 time, or a duration back from now (30d)." };
        var until = new Option<string?>("--until") { Description = "End of the period (exclusive): ISO 8601 time, or a duration back from now." };
        var format = CommandKit.FormatOption("text", "json", "markdown");
        var command = new Command("report", "Compliance summary for a period: issued by profile/key type/issuer, revocations by reason, expiries, policy violations by rule (from the audit log).")
        {
            home, compliance, since, until, format,
        };
        command.SetAction(parse =>
        {
            if (!parse.GetValue(compliance))
            {
                throw new UsageException("ca report needs --compliance (the compliance summary).");
            }

            var authority = app.Services.GetRequiredService<LocalAuthorityFactory>()
                .Open(CommandKit.ResolveHome(app, parse.GetValue(home)), CommandKit.Passphrase(app, CommandKit.DefaultPassphraseVariable));
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            var auditPath = parse.GetValue(app.AuditLogOption)
                ?? (app.GetEnvironmentVariable(GovernanceKit.AuditLogVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null)
                ?? Path.Combine(authority.Home.Directory, AuditLogFile.DefaultFileName);
            var report = ComplianceReporter.Build(
                authority.ListInventory(), auditPath, Time(parse.GetValue(since), "--since", now), Time(parse.GetValue(until), "--until", now), now);
            switch (parse.GetValue(format))
            {
                case "json":
                    app.Output.WriteLine(System.Text.Json.JsonSerializer.Serialize(report, GovernanceJson.Default.ComplianceReport));
                    break;
                case "markdown":
                    app.Output.Write(InventoryPages.ComplianceMarkdown(report));
                    break;
                default:
                    app.Output.Write(InventoryPages.ComplianceText(report));
                    break;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Watch(CliApp app)
    {
        var home = CommandKit.HomeOption();
        var within = new Option<string>("--within") { Description = "Margin: anything expiring within it is a finding.", DefaultValueFactory = _ => "7d" };
        var endpoints = new Option<string[]>("--endpoint") { Description = "Also watch this https://host:port endpoint's certificates (repeatable).", AllowMultipleArgumentsPerToken = true };
        var timeout = new Option<string>("--timeout") { Description = "Timeout per endpoint.", DefaultValueFactory = _ => "10s" };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("watch", "One-shot expiry monitor for scheduled pipelines: exit 4 when a valid certificate in the inventory or an endpoint's is inside the margin, 6 when an endpoint is unreachable, else 0.")
        {
            home, within, endpoints, timeout, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var resolved = CommandKit.ResolveHome(app, parse.GetValue(home));
            var targets = parse.GetValue(endpoints) ?? [];
            IReadOnlyList<InventoryRecord> inventory = [];
            if (LocalCaHome.Exists(resolved) || targets.Length == 0)
            {
                inventory = app.Services.GetRequiredService<LocalAuthorityFactory>()
                    .Open(resolved, CommandKit.Passphrase(app, CommandKit.DefaultPassphraseVariable)).ListInventory();
            }

            var report = await new ExpiryWatch(app.Services.GetRequiredService<TimeProvider>()).RunAsync(
                new WatchRequest(inventory, targets, Durations.Parse(parse.GetValue(within)!, "--within"), Durations.Parse(parse.GetValue(timeout)!, "--timeout")),
                cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), report, () => GovernanceJson.Default.WatchReport, (w, r) =>
            {
                w.WriteLine($"watched {r.CertificatesWatched} valid certificate(s) and {r.EndpointsWatched} endpoint(s) with a margin of {r.Within}: {(r.Findings.Count == 0 ? "nothing needs attention" : $"{r.Findings.Count} finding(s)")}");
                foreach (var finding in r.Findings)
                {
                    w.WriteLine($"  {finding.Status,-11} {finding.Message}");
                }
            });
            foreach (var finding in report.Findings)
            {
                app.Error.WriteLine($"pipeline-pki: warning: {finding.Message}");
            }

            return report.AnyInsideMargin ? ExitCodes.NotValid : report.AnyUnreachable ? ExitCodes.RemoteFailure : ExitCodes.Success;
        });
        return command;
    }

    public static Task AuditRevokeAsync(CliApp app, ParseResult parse, string homeDirectory, InventoryRecord record, CancellationToken cancellationToken) =>
        GovernanceKit.Audit(app, parse, homeDirectory).RecordAsync(
            new AuditEntry(AuditActions.Revoke, AuditOutcomes.Success, GovernanceKit.Actor(app, parse), record.Subject, [record.Serial], [record.Sha256Fingerprint],
                Profile: record.Profile, KeyType: record.KeyType, Issuer: record.Issuer, Source: record.Source, Reason: record.RevocationReason),
            cancellationToken);

    public static Task AuditCrlAsync(CliApp app, ParseResult parse, LocalAuthority authority, CrlResult result, CancellationToken cancellationToken) =>
        GovernanceKit.Audit(app, parse, authority.Home.Directory).RecordAsync(
            new AuditEntry(AuditActions.Crl, AuditOutcomes.Success, GovernanceKit.Actor(app, parse), result.Info.Issuer,
                Issuer: result.Info.Issuer, Source: authority.Name,
                Reason: $"CRL number {result.Info.CrlNumber}, {result.Info.Entries.Count} revoked, next update {result.Info.NextUpdate:u}"),
            cancellationToken);

    private static DateTimeOffset? Time(string? text, string option, DateTimeOffset now)
    {
        if (text is null)
        {
            return null;
        }

        if (Durations.TryParse(text, out var back))
        {
            return now - back;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : throw new UsageException($"{option}: '{text}' is neither an ISO 8601 time nor a duration (30d).");
    }
}
