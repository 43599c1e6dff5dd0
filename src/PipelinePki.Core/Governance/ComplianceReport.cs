using System.Globalization;
using PipelinePki.Core.Audit;
using PipelinePki.Core.Inventory;

namespace PipelinePki.Core.Governance;

/// <summary>
/// <c>ca report --compliance</c> for one period: what was issued (by profile, key type, issuer), what was
/// revoked (by reason), what expired, and which policy rules refused requests (from the audit log).
/// Issuance counts by <c>issuedAt</c>, revocations by <c>revokedAt</c>, expiries by <c>notAfter</c> up to now.
/// </summary>
public sealed record ComplianceReport(
    DateTimeOffset GeneratedAt,
    DateTimeOffset? Since,
    DateTimeOffset? Until,
    int Issued,
    IReadOnlyDictionary<string, int> ByProfile,
    IReadOnlyDictionary<string, int> ByKeyType,
    IReadOnlyDictionary<string, int> ByIssuer,
    int Revoked,
    IReadOnlyDictionary<string, int> RevocationsByReason,
    int Expired,
    int ValidNow,
    IReadOnlyDictionary<string, int> ViolationsByRule,
    string? AuditLog,
    int AuditLines,
    bool? AuditChainIntact,
    string? AuditProblem);

public static class ComplianceReporter
{
    public static ComplianceReport Build(
        IReadOnlyList<InventoryRecord> inventory, string? auditLogPath, DateTimeOffset? since, DateTimeOffset? until, DateTimeOffset now)
    {
        if (since is { } s && until is { } u && u <= s)
        {
            throw new UsageException("--until must be later than --since.");
        }

        bool Inside(DateTimeOffset at) => (since is null || at >= since) && (until is null || at < until);
        var issued = inventory.Where(r => Inside(r.IssuedAt)).ToList();
        var revoked = inventory.Where(r => r.RevokedAt is { } at && Inside(at)).ToList();
        var expired = inventory.Where(r => r.NotAfter <= now && Inside(r.NotAfter)).ToList();

        var violations = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var lines = 0;
        bool? intact = null;
        string? problem = null;
        string? log = null;
        if (auditLogPath is not null && File.Exists(auditLogPath))
        {
            log = Path.GetFullPath(auditLogPath);
            var check = AuditChainVerifier.Verify(log);
            intact = check.Intact;
            problem = check.Problem;
            foreach (var line in File.ReadLines(log))
            {
                if (line.Length == 0 || AuditLogFile.Parse(line) is not { } record)
                {
                    continue;
                }

                lines++;
                if (record.Outcome == AuditOutcomes.Denied
                    && DateTimeOffset.TryParse(record.Ts, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && Inside(at))
                {
                    var rule = record.Rule ?? "unknown";
                    violations[rule] = violations.GetValueOrDefault(rule) + 1;
                }
            }
        }

        return new ComplianceReport(
            now, since, until, issued.Count,
            Count(issued, r => r.Profile), Count(issued, r => r.KeyType), Count(issued, r => r.Issuer),
            revoked.Count, Count(revoked, r => r.RevocationReason ?? "unspecified"),
            expired.Count,
            inventory.Count(r => r.StatusAt(now) == CertificateStatus.Valid),
            violations, log, lines, intact, problem);
    }

    private static SortedDictionary<string, int> Count(IEnumerable<InventoryRecord> records, Func<InventoryRecord, string> key) =>
        new(records.GroupBy(key).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal);
}
