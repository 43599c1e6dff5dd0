namespace PipelinePki.Core.Inventory;

/// <summary>Who asked for a certificate: the CI run (platform, repository, run, commit) or a local user.</summary>
public sealed record Requester(
    string Platform,
    string? Repository = null,
    string? RunId = null,
    string? Commit = null,
    string? Actor = null,
    string? Workflow = null,
    string? Ref = null)
{
    public static Requester Unknown { get; } = new("unknown");

    public override string ToString() =>
        Repository is null ? (Actor is null ? Platform : $"{Platform}:{Actor}") : $"{Platform}:{Repository}#{RunId}";
}

public static class CertificateStatus
{
    public const string Valid = "valid";
    public const string Revoked = "revoked";
    public const string Expired = "expired";
}

/// <summary>One issued certificate as the inventory holds it.</summary>
public sealed record InventoryRecord(
    string Serial,
    string Subject,
    string Issuer,
    string IssuerKeyId,
    IReadOnlyList<string> SubjectAlternativeNames,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Profile,
    string KeyType,
    string Sha256Fingerprint,
    string Status,
    DateTimeOffset? RevokedAt,
    string? RevocationReason,
    string Source,
    Requester RequestedBy,
    DateTimeOffset IssuedAt)
{
    /// <summary>The row every source writes for a certificate it has just issued: valid, not revoked.</summary>
    public static InventoryRecord NewlyIssued(
        Certificates.CertificateInfo leaf, string issuerKeyId, string profile, string keyType, string source, Requester requester, DateTimeOffset issuedAt) =>
        new(leaf.Serial, leaf.Subject, leaf.Issuer, issuerKeyId, leaf.SubjectAlternativeNames, leaf.NotBefore, leaf.NotAfter,
            profile, keyType, leaf.Sha256Fingerprint, CertificateStatus.Valid, null, null, source, requester, issuedAt);

    /// <summary>The status as of <paramref name="now"/>: stored revocation wins, then expiry.</summary>
    public string StatusAt(DateTimeOffset now) =>
        Status == CertificateStatus.Revoked ? CertificateStatus.Revoked : NotAfter <= now ? CertificateStatus.Expired : CertificateStatus.Valid;
}

/// <summary>The last CRL published for one issuing key.</summary>
public sealed record CrlState(string IssuerKeyId, long CrlNumber, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate);
