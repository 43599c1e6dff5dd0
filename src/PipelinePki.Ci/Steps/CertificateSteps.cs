using PipelinePki.Core.Authorities;
using PipelinePki.Core.Validation;

namespace PipelinePki.Ci.Steps;

/// <summary><c>cert issue</c>: certPath, keyPath, chainPath, fullchainPath, rootPath, serial, notAfter, fingerprint.</summary>
public sealed record IssueOutputs(
    IssuedFiles Files,
    string Subject,
    string Serial,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Fingerprint) : CiStepOutputs
{
    public override IReadOnlyList<KeyValuePair<string, string>> Outputs =>
    [
        Output("certPath", Files.Certificate),
        // With --csr no key is written: the output is empty rather than absent, so a wrapper reading it sees "".
        Output("keyPath", Files.PrivateKey ?? string.Empty),
        Output("chainPath", Files.Chain),
        Output("fullchainPath", Files.FullChain),
        // A remote source (Vault, ACME) may not send its trust anchor: then there is no root.pem and the output is "".
        Output("rootPath", Files.Root ?? string.Empty),
        Output("serial", Serial),
        Output("notAfter", Time(NotAfter)),
        Output("fingerprint", Fingerprint),
    ];

    public override CiSummary? Summary => new(
        "certificate issued",
        null,
        ["Subject", "Serial", "Not before", "Not after", "Certificate"],
        [[Subject, Serial, Time(NotBefore), Time(NotAfter), Files.Certificate]],
        [new ValidityBar("issued", $"{Subject} {ShortSerial(Serial)}", NotBefore, NotAfter)]);
}

/// <summary><c>cert renew</c>: the <see cref="IssueOutputs"/> of the certificate in place (renewed or kept) plus renewed.</summary>
public sealed record RenewOutputs(IssueOutputs Certificate, bool Renewed) : CiStepOutputs
{
    public override IReadOnlyList<KeyValuePair<string, string>> Outputs =>
        [.. Certificate.Outputs, Output("renewed", Renewed ? "true" : "false")];

    public override CiSummary? Summary => Certificate.Summary! with
    {
        Title = Renewed ? "certificate renewed" : "certificate still fresh",
        Headline = Renewed ? "A new certificate replaced the old one." : "Not renewed: the certificate is not yet due.",
    };
}

/// <summary><c>cert verify</c>: outcome (valid|not-valid).</summary>
public sealed record CertificateVerifyOutputs(string Certificate, VerificationOutcome Outcome) : CiStepOutputs
{
    public override IReadOnlyList<KeyValuePair<string, string>> Outputs => [Output("outcome", Outcome.IsValid ? "valid" : "not-valid")];

    public override CiSummary? Summary => new(
        "certificate verified",
        $"{(Outcome.IsValid ? "✅ valid" : "❌ not valid")}: {Certificate}"
            + (Outcome.IsValid ? string.Empty : " — " + string.Join("; ", Outcome.Failures.Select(f => $"{f.Check}: {f.Detail}"))),
        ["Position", "Subject", "Serial", "Not before", "Not after"],
        [.. Outcome.Path.Select((c, i) => (IReadOnlyList<string>)[i == 0 ? "leaf" : i == Outcome.Path.Count - 1 ? "anchor" : "intermediate", c.Subject, c.Serial, Time(c.NotBefore), Time(c.NotAfter)])],
        [.. Outcome.Path.Select((c, i) => new ValidityBar("path", $"{(i == 0 ? "leaf" : i == Outcome.Path.Count - 1 ? "anchor" : "intermediate")} {c.Subject}", c.NotBefore, c.NotAfter))]);
}

/// <summary><c>cert check</c>: outcome (valid|not-valid) and expiring (how many targets expire within the larger margin).</summary>
public sealed record CheckOutputs(PreflightReport Report, TimeSpan MinRemaining, TimeSpan? WarnRemaining, DateTimeOffset Now) : CiStepOutputs
{
    /// <summary>The wider of the two margins: a certificate inside either one is expiring.</summary>
    public TimeSpan Margin => WarnRemaining is { } warn && warn > MinRemaining ? warn : MinRemaining;

    public int Expiring => Report.Rows.Count(r => r.NotAfter is { } notAfter && notAfter - Now < Margin);

    public override IReadOnlyList<KeyValuePair<string, string>> Outputs =>
    [
        Output("outcome", Report.AnyFailed || Report.AnyUnreachable ? "not-valid" : "valid"),
        Output("expiring", Expiring.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    public override CiSummary? Summary => new(
        "certificate check",
        $"{Report.Rows.Count} target(s), {Expiring} expiring within {Margin.TotalHours:0.#} h",
        ["Target", "Status", "Subject", "Not after", "Days left", "Reasons"],
        [.. Report.Rows.Select(r => (IReadOnlyList<string>)[r.Target, r.Status.ToString().ToLowerInvariant(), r.Subject ?? "", r.NotAfter is { } n ? Time(n) : "", r.DaysLeft is { } d ? d.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "", string.Join("; ", r.Reasons)])],
        [.. Report.Rows.Where(r => r.NotAfter is not null && r.NotAfter > Now).Select(r => new ValidityBar("remaining", r.Target, Now, r.NotAfter!.Value))]);
}

/// <summary>
/// <c>mtls setup</c>: mtlsState (the absolute state directory, also saved as step state
/// <c>mtls_state</c> for the post-step teardown) and the environment the setup wants later steps to see.
/// </summary>
public sealed record MtlsSetupOutputs(string StateDirectory, IReadOnlyDictionary<string, string> ExportedEnvironment) : CiStepOutputs
{
    public override IReadOnlyList<KeyValuePair<string, string>> Outputs => [Output("mtlsState", Path.GetFullPath(StateDirectory))];

    public override IReadOnlyList<KeyValuePair<string, string>> Environment => [.. ExportedEnvironment.OrderBy(e => e.Key, StringComparer.Ordinal)];

    public override IReadOnlyList<KeyValuePair<string, string>> State => [Output("mtls_state", Path.GetFullPath(StateDirectory))];

    public override CiSummary? Summary => new(
        "mTLS configured",
        $"State in {Path.GetFullPath(StateDirectory)}; `mtls teardown` removes it.",
        ["Variable", "Value"],
        [.. Environment.Select(e => (IReadOnlyList<string>)[e.Key, e.Value])],
        []);
}

/// <summary><c>mtls teardown</c>: no outputs; every variable setup exported is exported again with its previous value (empty: it was unset).</summary>
public sealed record MtlsTeardownOutputs(IReadOnlyDictionary<string, string> RestoredEnvironment) : CiStepOutputs
{
    public override IReadOnlyList<KeyValuePair<string, string>> Outputs => [];

    public override IReadOnlyList<KeyValuePair<string, string>> Environment => [.. RestoredEnvironment.OrderBy(e => e.Key, StringComparer.Ordinal)];
}
