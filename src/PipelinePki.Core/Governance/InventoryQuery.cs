using PipelinePki.Core.Inventory;

namespace PipelinePki.Core.Governance;

/// <summary>
/// <c>ca inventory</c> filters. <see cref="ExpiringWithin"/> keeps certificates that are still valid
/// (not revoked, not expired) and expire inside the margin; <see cref="RequestedBy"/> matches the
/// requester text, repository or user, case-insensitively, as a substring.
/// </summary>
public sealed record InventoryQuery(TimeSpan? ExpiringWithin = null, string? Status = null, string? RequestedBy = null)
{
    public static readonly IReadOnlyList<string> Statuses = [CertificateStatus.Valid, CertificateStatus.Revoked, CertificateStatus.Expired];

    public IReadOnlyList<InventoryRecord> Apply(IEnumerable<InventoryRecord> records, DateTimeOffset now)
    {
        if (Status is { } wanted && !Statuses.Contains(wanted))
        {
            throw new UsageException($"--status: '{wanted}' is not valid, revoked or expired.");
        }

        return records.Where(r =>
        {
            var status = r.StatusAt(now);
            if (Status is { } s && status != s)
            {
                return false;
            }

            if (ExpiringWithin is { } margin && (status != CertificateStatus.Valid || r.NotAfter > now + margin))
            {
                return false;
            }

            return RequestedBy is not { Length: > 0 } who
                || Contains(r.RequestedBy.ToString(), who) || Contains(r.RequestedBy.Repository, who) || Contains(r.RequestedBy.Actor, who);
        }).ToList();
    }

    private static bool Contains(string? text, string part) => text is not null && text.Contains(part, StringComparison.OrdinalIgnoreCase);
}

/// <summary>One certificate about to expire or already expired, for warnings (CI annotations) and <c>ca watch</c>.</summary>
public sealed record ExpiryFinding(
    string Kind,
    string Target,
    string? Serial,
    string? Subject,
    DateTimeOffset? NotAfter,
    double? HoursLeft,
    string Status,
    string Message)
{
    public const string Certificate = "certificate";
    public const string Endpoint = "endpoint";
    public const string Expiring = "expiring";
    public const string Expired = "expired";
    public const string Unreachable = "unreachable";

    public static ExpiryFinding ForRecord(InventoryRecord record, DateTimeOffset now, TimeSpan margin)
    {
        var left = record.NotAfter - now;
        var expired = left <= TimeSpan.Zero;
        return new ExpiryFinding(
            Certificate,
            record.Serial,
            record.Serial,
            record.Subject,
            record.NotAfter,
            Math.Round(left.TotalHours, 2),
            expired ? Expired : Expiring,
            expired
                ? $"certificate {record.Serial} ({record.Subject}) expired {record.NotAfter:u}"
                : $"certificate {record.Serial} ({record.Subject}) expires {record.NotAfter:u}, in {Human(left)} (margin {Durations.Format(margin)})");
    }

    public static string Human(TimeSpan value) =>
        value.TotalDays >= 2 ? $"{value.TotalDays:0.#}d" : value.TotalHours >= 2 ? $"{value.TotalHours:0.#}h" : $"{Math.Max(0, value.TotalMinutes):0}m";
}
