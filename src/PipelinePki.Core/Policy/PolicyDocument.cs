using System.Net;

namespace PipelinePki.Core.Policy;

/// <summary>
/// One policy document (<c>version: 1</c>): what may be issued and what is accepted when verifying.
/// A null list means "no rule": anything is allowed. The rule names are the YAML keys, and they are
/// what a violation reports.
/// </summary>
public sealed record PolicyDocument(string Source, IssuancePolicy Issuance, VerificationPolicy Verification);

/// <summary>Rules checked before a request leaves the runner, whatever the source (local CA, Vault, ACME).</summary>
public sealed record IssuancePolicy(
    IReadOnlyList<string>? KeyTypes,
    IReadOnlyDictionary<string, int> MinKeySizes,
    IReadOnlyDictionary<string, TimeSpan> MaxTtl,
    IReadOnlyList<string>? SanDns,
    IReadOnlyList<string>? SanUri,
    IReadOnlyList<IPNetwork>? SanIp,
    IReadOnlyList<string>? SanEmail,
    IReadOnlyList<string> EkuRequired,
    IReadOnlyList<string> EkuForbidden,
    string? SubjectNamePattern,
    IReadOnlyList<CiIdentityRule>? CiIdentities)
{
    /// <summary>The lifetime cap when the policy names none for a profile: the brief's 24 h.</summary>
    public static readonly TimeSpan DefaultMaxTtl = TimeSpan.FromHours(24);

    public TimeSpan MaxTtlFor(string profile) =>
        MaxTtl.TryGetValue(profile, out var forProfile) ? forProfile
        : MaxTtl.TryGetValue(PolicyRules.DefaultProfileKey, out var fallback) ? fallback
        : DefaultMaxTtl;
}

/// <summary>Which CI identity may request which profiles; a missing field matches anything.</summary>
public sealed record CiIdentityRule(string? Repository, string? Ref, string? Workflow, IReadOnlyList<string> Profiles);

/// <summary>Artifacts whose path matches <see cref="Artifact"/> must be signed by a certificate naming <see cref="Identity"/>.</summary>
public sealed record SignerIdentityRule(string Artifact, string Identity);

public enum RevocationRequirement
{
    /// <summary>The policy says nothing; the command's own options decide.</summary>
    Unspecified,

    /// <summary>Status must be determined: unknown status fails (no soft-fail).</summary>
    Required,

    /// <summary>Checked, but an undeterminable status only warns.</summary>
    SoftFail,

    /// <summary>Not checked.</summary>
    Off,
}

/// <summary>Rules applied by <c>verify</c>, <c>cert verify</c> and <c>cert check</c>.</summary>
public sealed record VerificationPolicy(
    IReadOnlyList<string>? TrustedRoots,
    IReadOnlyList<SignerIdentityRule> SignerIdentities,
    TimeSpan? MinRemaining,
    RevocationRequirement Revocation,
    IReadOnlyList<string>? SignatureAlgorithms);

/// <summary>The rule names: stable, because violations, audit lines and reports name them.</summary>
public static class PolicyRules
{
    public const string KeyType = "key-type";
    public const string KeySize = "key-size";
    public const string MaxTtl = "max-ttl";
    public const string SanDns = "san-dns";
    public const string SanUri = "san-uri";
    public const string SanIp = "san-ip";
    public const string SanEmail = "san-email";
    public const string EkuRequired = "eku-required";
    public const string EkuForbidden = "eku-forbidden";
    public const string SubjectName = "subject-name";
    public const string CiIdentity = "ci-identity";
    public const string TrustedRoots = "trusted-roots";
    public const string SignerIdentity = "signer-identity";
    public const string MinRemaining = "min-remaining";
    public const string Revocation = "revocation";
    public const string SignatureAlgorithm = "signature-algorithm";

    /// <summary>The <c>max-ttl</c> key that applies to profiles without their own entry.</summary>
    public const string DefaultProfileKey = "default";

    public static readonly IReadOnlyList<string> Profiles = ["client", "server", "mtls", "code-signing"];

    public static readonly IReadOnlyList<string> ExtendedKeyUsages = ["serverAuth", "clientAuth", "codeSigning", "emailProtection", "timeStamping"];

    /// <summary>The extended key usages <c>cert issue</c> writes for each profile.</summary>
    public static IReadOnlyList<string> EkusOf(string profile) => profile switch
    {
        "client" => ["clientAuth"],
        "server" => ["serverAuth"],
        "mtls" => ["serverAuth", "clientAuth"],
        "code-signing" => ["codeSigning"],
        _ => [],
    };

    /// <summary>The profile a certificate's EKUs correspond to (for max-ttl and ci-identity of existing certificates).</summary>
    public static string ProfileOf(IReadOnlyList<string> ekus)
    {
        var server = ekus.Contains("serverAuth");
        var client = ekus.Contains("clientAuth");
        return server && client ? "mtls" : server ? "server" : client ? "client" : ekus.Contains("codeSigning") ? "code-signing" : DefaultProfileKey;
    }
}
