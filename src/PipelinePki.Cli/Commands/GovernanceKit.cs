using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;
using PipelinePki.Core.Audit;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Policy;

namespace PipelinePki.Cli.Commands;

/// <summary>Policy and audit plumbing the commands share: which policy applies, where audit lines go.</summary>
internal static class GovernanceKit
{
    public const string PolicyVariable = "PIPELINE_PKI_POLICY";
    public const string AuditLogVariable = "PIPELINE_PKI_AUDIT_LOG";
    public const string SyslogSocketVariable = "PIPELINE_PKI_SYSLOG_SOCKET";

    public static Option<string?> PolicyOption(string name = "--policy") => new(name)
    {
        Description = $"Policy file (YAML, version 1) to enforce (default ${PolicyVariable}; none: no policy).",
    };

    /// <summary>The policy named by the option, else by PIPELINE_PKI_POLICY, else none (nothing is enforced).</summary>
    public static PolicyDocument? LoadPolicy(CliApp app, string? path)
    {
        var chosen = path ?? (app.GetEnvironmentVariable(PolicyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null);
        return chosen is null ? null : PolicyParser.ParseFile(chosen);
    }

    /// <summary>
    /// The audit trail of this run: <c>--audit-log</c>, else PIPELINE_PKI_AUDIT_LOG, else <c>audit.jsonl</c> in the CA
    /// home when that home exists; plus stdout and syslog copies when asked for.
    /// </summary>
    public static AuditTrail Audit(CliApp app, ParseResult parse, string? caHome)
    {
        var time = app.Services.GetRequiredService<TimeProvider>();
        var path = parse.GetValue(app.AuditLogOption)
            ?? (app.GetEnvironmentVariable(AuditLogVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null)
            ?? (caHome is not null && LocalCaHome.Exists(caHome) ? Path.Combine(caHome, AuditLogFile.DefaultFileName) : null);
        var sinks = new List<IAuditSink>();
        if (parse.GetValue(app.AuditStdoutOption))
        {
            sinks.Add(new TextWriterAuditSink(app.Output));
        }

        if (parse.GetValue(app.AuditSyslogOption))
        {
            var socket = app.GetEnvironmentVariable(SyslogSocketVariable) is { Length: > 0 } s ? s : SyslogAuditSink.DefaultSocket;
            sinks.Add(new SyslogAuditSink(socket, time, Environment.MachineName, Environment.ProcessId));
        }

        return new AuditTrail(path is null ? null : new AuditLogFile(path, time), sinks, time, app.Services.GetRequiredService<ILogger<AuditTrail>>());
    }

    public static AuditActor Actor(CliApp app, ParseResult parse) => AuditActor.From(CommandKit.Requester(app, parse));

    public static Requester Requester(CliApp app, ParseResult parse) => CommandKit.Requester(app, parse);

    /// <summary>Runs <paramref name="action"/>; a rule's refusal is recorded as a denied line before it propagates (exit 5).</summary>
    public static async Task<T> RecordRefusalAsync<T>(AuditTrail audit, AuditEntry template, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action();
        }
        catch (PolicyViolationException e)
        {
            await audit.RecordAsync(template with { Outcome = AuditOutcomes.Denied, Rule = e.Rule, Reason = e.Message }, cancellationToken);
            throw;
        }
    }

    /// <summary>Issuance policy, checked on the request as built, before any source (local CA, Vault, ACME) is contacted.</summary>
    public static void EnforceIssuance(PolicyDocument? policy, IssueRequest request)
    {
        if (policy is not null)
        {
            PolicyGate.CheckIssuance(policy, request).ThrowIfViolated();
        }
    }

    /// <summary>The audit line of an issuance attempt, before the outcome is known.</summary>
    public static AuditEntry IssueAttempt(CliApp app, ParseResult parse, IssueRequest request, string source) =>
        new(AuditActions.Issue, AuditOutcomes.Success, Actor(app, parse),
            Subject: string.IsNullOrWhiteSpace(request.CommonName) ? null : $"CN={request.CommonName}",
            Profile: request.Profile.Name(), KeyType: request.CertificationRequest is null ? request.KeySpec.Name : null, Source: source);

    /// <summary>Checks the issuance policy and records a refusal (denied, with the rule) before rethrowing it.</summary>
    public static Task EnforceIssuanceAsync(AuditTrail audit, AuditEntry attempt, PolicyDocument? policy, IssueRequest request, CancellationToken cancellationToken) =>
        RecordRefusalAsync(audit, attempt, () =>
        {
            EnforceIssuance(policy, request);
            return Task.FromResult(true);
        }, cancellationToken);

    public static AuditEntry Issued(AuditEntry attempt, InventoryRecord record) =>
        attempt with
        {
            Subject = record.Subject, Serials = [record.Serial], Fingerprints = [record.Sha256Fingerprint], KeyType = record.KeyType,
            Issuer = record.Issuer, Source = record.Source,
        };

    /// <summary>The certificate verification rules, judged after the command's own verification (exit 5 naming the rule).</summary>
    public static async Task EnforceCertificateAsync(CliApp app, PolicyDocument? policy, Core.Validation.VerifyRequest request, string target, CancellationToken cancellationToken)
    {
        if (policy is null)
        {
            return;
        }

        var gate = new PolicyGate(app.Verifiers.Create(TimeSpan.FromSeconds(10)), app.Services.GetRequiredService<TimeProvider>());
        var evaluation = await gate.CheckCertificateAsync(
            policy, request.Leaf, request.TrustAnchors, request.Untrusted, request.At,
            new RevocationChecking(request.Revocation != Core.Validation.RevocationMode.None, request.SoftFail), target, cancellationToken);
        evaluation.ThrowIfViolated();
    }

    /// <summary><c>cert check</c> under a policy: its min-remaining raises the margin, its revocation rule applies.</summary>
    public static Core.Validation.PreflightRequest ApplyPolicy(PolicyDocument? policy, Core.Validation.PreflightRequest request)
    {
        if (policy is null)
        {
            return request;
        }

        var (mode, softFail) = PolicyGate.Revocation(policy, request.Revocation, request.SoftFail);
        var minimum = policy.Verification.MinRemaining is { } fromPolicy && fromPolicy > request.MinRemaining ? fromPolicy : request.MinRemaining;
        var warn = request.WarnRemaining is { } w && w < minimum ? minimum : request.WarnRemaining;
        return request with { Revocation = mode, SoftFail = softFail, MinRemaining = minimum, WarnRemaining = warn };
    }

    /// <summary>The verification rules for each certificate file of <c>cert check</c> (endpoints are judged by the pre-flight itself).</summary>
    public static async Task EnforceFilesAsync(CliApp app, PolicyDocument? policy, Core.Validation.PreflightRequest request, CancellationToken cancellationToken)
    {
        if (policy is null)
        {
            return;
        }

        foreach (var target in request.Targets.Where(t => !t.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            var certificates = PkiObjectReader.ReadCertificates(target);
            await EnforceCertificateAsync(
                app, policy,
                new Core.Validation.VerifyRequest(certificates[0], request.TrustAnchors, [.. certificates.Skip(1), .. request.Untrusted], [], null,
                    Revocation: request.Revocation, SoftFail: request.SoftFail),
                target, cancellationToken);
        }
    }
}
