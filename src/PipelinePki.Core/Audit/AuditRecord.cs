using System.Text.Json.Serialization;
using PipelinePki.Core.Inventory;

namespace PipelinePki.Core.Audit;

/// <summary>The stable action names of audit lines (SIEM rules match on them).</summary>
public static class AuditActions
{
    public const string Issue = "issue";
    public const string Renew = "renew";
    public const string Revoke = "revoke";
    public const string Crl = "crl";
    public const string Sign = "sign";
    public const string Verify = "verify";
}

/// <summary>The stable outcome names: done, refused by a rule, or failed/invalid.</summary>
public static class AuditOutcomes
{
    public const string Success = "success";
    public const string Denied = "denied";
    public const string Failure = "failure";
}

/// <summary>Who acted: the CI run (platform, repository, run, commit, workflow, ref) or a local user.</summary>
public sealed record AuditActor(
    string Ci,
    string? Repository = null,
    string? RunId = null,
    string? Commit = null,
    string? User = null,
    string? Workflow = null,
    string? Ref = null)
{
    public static AuditActor From(Requester requester) =>
        new(requester.Platform, requester.Repository, requester.RunId, requester.Commit, requester.Actor, requester.Workflow, requester.Ref);
}

/// <summary>What a command reports; the log adds the sequence number, time and chain fields.</summary>
public sealed record AuditEntry(
    string Action,
    string Outcome,
    AuditActor Actor,
    string? Subject = null,
    IReadOnlyList<string>? Serials = null,
    IReadOnlyList<string>? Fingerprints = null,
    IReadOnlyList<string>? Artifacts = null,
    string? Profile = null,
    string? KeyType = null,
    string? Issuer = null,
    string? Source = null,
    string? Rule = null,
    string? Reason = null);

/// <summary>
/// One audit line. Field order is the wire order; <see cref="Hash"/> is SHA-256 (hex) over the line's
/// own bytes without the hash field, and <see cref="Prev"/> is the previous line's hash, so an edited,
/// removed or inserted line breaks the chain. No field ever holds a key, token or passphrase.
/// </summary>
public sealed record AuditRecord(
    long Seq,
    string Ts,
    string Action,
    string Outcome,
    AuditActor Actor,
    string? Subject,
    IReadOnlyList<string>? Serials,
    IReadOnlyList<string>? Fingerprints,
    IReadOnlyList<string>? Artifacts,
    string? Profile,
    string? KeyType,
    string? Issuer,
    string? Source,
    string? Rule,
    string? Reason,
    string Prev,
    string? Hash = null)
{
    /// <summary>The <c>prev</c> of the first line.</summary>
    public static readonly string Genesis = new('0', 64);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditRecord))]
internal sealed partial class AuditJson : JsonSerializerContext;
