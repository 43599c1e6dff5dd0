using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using PipelinePki.Core.Inventory;

namespace PipelinePki.Core.Governance;

/// <summary>
/// Inventory and compliance documents for people: Markdown (CI job summaries) and one self-contained
/// HTML page (sortable table, SVG validity timeline). The page loads nothing: its Content-Security-Policy
/// forbids every network fetch and allows only its own inline style and script, pinned by hash.
/// </summary>
public static class InventoryPages
{
    public static string Markdown(IReadOnlyList<InventoryRecord> records, DateTimeOffset now, string title)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {Cell(title)}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{records.Count} certificate(s) as of {now:u}.");
        text.AppendLine();
        text.AppendLine("| serial | subject | SANs | not before | not after | status | profile | key type | requested by |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in records)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| `{r.Serial}` | {Cell(r.Subject)} | {Cell(string.Join(", ", r.SubjectAlternativeNames))} | {r.NotBefore:u} | {r.NotAfter:u} | {r.StatusAt(now)} | {r.Profile} | {r.KeyType} | {Cell(r.RequestedBy.ToString())} |");
        }

        return text.ToString();
    }

    public static string Html(IReadOnlyList<InventoryRecord> records, DateTimeOffset now, string title)
    {
        var script = SortScript;
        var style = Style;
        var csp = $"default-src 'none'; style-src 'sha256-{Sha256Base64(style)}'; script-src 'sha256-{Sha256Base64(script)}'; img-src data:; base-uri 'none'; form-action 'none'";
        var page = new StringBuilder();
        page.AppendLine("<!DOCTYPE html>");
        page.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        page.AppendLine(CultureInfo.InvariantCulture, $"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">");
        page.AppendLine(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>");
        page.AppendLine(CultureInfo.InvariantCulture, $"<style>{style}</style></head><body>");
        page.AppendLine(CultureInfo.InvariantCulture, $"<h1>{E(title)}</h1>");
        page.AppendLine(CultureInfo.InvariantCulture, $"<p id=\"summary\">{records.Count} certificate(s) as of {now:u}: {records.Count(r => r.StatusAt(now) == CertificateStatus.Valid)} valid, {records.Count(r => r.StatusAt(now) == CertificateStatus.Revoked)} revoked, {records.Count(r => r.StatusAt(now) == CertificateStatus.Expired)} expired.</p>");
        page.AppendLine(Timeline(records, now));
        page.AppendLine("<table id=\"inventory\"><thead><tr>");
        string[] headers = ["serial", "subject", "SANs", "not before", "not after", "status", "profile", "key type", "requested by"];
        for (var i = 0; i < headers.Length; i++)
        {
            page.AppendLine(CultureInfo.InvariantCulture, $"<th data-column=\"{i}\" title=\"sort\">{headers[i]}</th>");
        }

        page.AppendLine("</tr></thead><tbody>");
        foreach (var r in records)
        {
            var status = r.StatusAt(now);
            page.AppendLine(CultureInfo.InvariantCulture,
                $"<tr class=\"row {status}\" data-serial=\"{E(r.Serial)}\"><td><code>{E(r.Serial)}</code></td><td>{E(r.Subject)}</td><td>{E(string.Join(", ", r.SubjectAlternativeNames))}</td>" +
                $"<td data-sort=\"{r.NotBefore.ToUnixTimeSeconds()}\">{r.NotBefore:u}</td><td data-sort=\"{r.NotAfter.ToUnixTimeSeconds()}\">{r.NotAfter:u}</td><td>{status}</td><td>{E(r.Profile)}</td><td>{E(r.KeyType)}</td><td>{E(r.RequestedBy.ToString())}</td></tr>");
        }

        page.AppendLine("</tbody></table>");
        page.AppendLine(CultureInfo.InvariantCulture, $"<script>{script}</script>");
        page.AppendLine("</body></html>");
        return page.ToString();
    }

    /// <summary>One bar per certificate from notBefore to notAfter on a shared time axis, with a line at "now".</summary>
    private static string Timeline(IReadOnlyList<InventoryRecord> records, DateTimeOffset now)
    {
        const int width = 960;
        const int left = 170;
        const int barHeight = 14;
        const int gap = 4;
        var height = 30 + (records.Count * (barHeight + gap));
        var svg = new StringBuilder();
        svg.AppendLine(CultureInfo.InvariantCulture,
            $"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"validity timeline\">");
        if (records.Count == 0)
        {
            svg.AppendLine("<text x=\"10\" y=\"20\">no certificates</text></svg>");
            return svg.ToString();
        }

        var start = records.Min(r => r.NotBefore);
        var end = records.Max(r => r.NotAfter);
        if (now < start)
        {
            start = now;
        }

        if (now > end)
        {
            end = now;
        }

        var span = Math.Max(1, (end - start).TotalSeconds);
        double X(DateTimeOffset at) => left + ((width - left - 10) * (at - start).TotalSeconds / span);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"12\" class=\"axis\">{start:u}</text><text x=\"{width - 10}\" y=\"12\" text-anchor=\"end\" class=\"axis\">{end:u}</text>");
        var y = 22;
        foreach (var r in records)
        {
            var status = r.StatusAt(now);
            var x = X(r.NotBefore);
            var w = Math.Max(2, X(r.NotAfter) - x);
            svg.AppendLine(CultureInfo.InvariantCulture,
                $"<text x=\"{left - 6}\" y=\"{y + barHeight - 3}\" text-anchor=\"end\" class=\"label\">{E(Short(r.Serial))}</text>" +
                $"<rect class=\"bar {status}\" data-serial=\"{E(r.Serial)}\" x=\"{x:0.##}\" y=\"{y}\" width=\"{w:0.##}\" height=\"{barHeight}\"><title>{E(r.Subject)} {r.NotBefore:u} to {r.NotAfter:u} ({status})</title></rect>");
            y += barHeight + gap;
        }

        var nowX = X(now);
        svg.AppendLine(CultureInfo.InvariantCulture, $"<line class=\"now\" x1=\"{nowX:0.##}\" x2=\"{nowX:0.##}\" y1=\"16\" y2=\"{height}\"/></svg>");
        return svg.ToString();
    }

    private const string Style =
        "body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin-top:16px}" +
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#eee;cursor:pointer}" +
        ".bar.valid{fill:#2e7d32}.bar.expired{fill:#9e9e9e}.bar.revoked{fill:#c62828}.now{stroke:#1565c0;stroke-width:2}" +
        ".axis,.label{font-size:11px;fill:#555}tr.revoked td{color:#c62828}tr.expired td{color:#777}";

    private const string SortScript =
        "document.querySelectorAll('#inventory th').forEach(function(th){th.addEventListener('click',function(){" +
        "var c=+th.dataset.column,b=document.querySelector('#inventory tbody'),rows=Array.from(b.rows)," +
        "asc=th.dataset.order!=='asc';th.dataset.order=asc?'asc':'desc';" +
        "function k(r){var d=r.cells[c];return d.dataset.sort!==undefined?+d.dataset.sort:d.textContent.toLowerCase();}" +
        "rows.sort(function(x,y){var a=k(x),z=k(y);return (a<z?-1:a>z?1:0)*(asc?1:-1);});" +
        "rows.forEach(function(r){b.appendChild(r);});});});";

    private static string Short(string serial) => serial.Length > 16 ? serial[..16] + "…" : serial;

    private static string Sha256Base64(string text) => Convert.ToBase64String(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    public static string ComplianceMarkdown(ComplianceReport report)
    {
        var text = new StringBuilder();
        text.AppendLine("### Compliance report");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Period: {Period(report)}. Generated {report.GeneratedAt:u}.");
        text.AppendLine();
        text.AppendLine("| measure | count |");
        text.AppendLine("| --- | ---: |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| issued | {report.Issued} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| revoked | {report.Revoked} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| expired | {report.Expired} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| valid now | {report.ValidNow} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| policy violations | {report.ViolationsByRule.Values.Sum()} |");
        foreach (var (heading, counts) in Sections(report))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"| {heading} | count |");
            text.AppendLine("| --- | ---: |");
            foreach (var (key, count) in counts)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(key)} | {count} |");
            }
        }

        text.AppendLine();
        text.AppendLine(AuditSentence(report));
        return text.ToString();
    }

    public static string ComplianceText(ComplianceReport report)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"compliance report, {Period(report)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  issued {report.Issued}, revoked {report.Revoked}, expired {report.Expired}, valid now {report.ValidNow}, policy violations {report.ViolationsByRule.Values.Sum()}");
        foreach (var (heading, counts) in Sections(report))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {heading}: {(counts.Count == 0 ? "none" : string.Join(", ", counts.Select(p => $"{p.Key} {p.Value}")))}");
        }

        text.AppendLine("  " + AuditSentence(report));
        return text.ToString();
    }

    private static IEnumerable<(string Heading, IReadOnlyDictionary<string, int> Counts)> Sections(ComplianceReport report) =>
    [
        ("by profile", report.ByProfile),
        ("by key type", report.ByKeyType),
        ("by issuer", report.ByIssuer),
        ("revocations by reason", report.RevocationsByReason),
        ("violations by rule", report.ViolationsByRule),
    ];

    private static string Period(ComplianceReport report) =>
        $"{(report.Since is { } s ? s.ToString("u", CultureInfo.InvariantCulture) : "the beginning")} to {(report.Until is { } u ? u.ToString("u", CultureInfo.InvariantCulture) : "now")}";

    private static string AuditSentence(ComplianceReport report) => report.AuditLog is null
        ? "No audit log was read, so violations are not counted."
        : $"Audit log {report.AuditLog}: {report.AuditLines} line(s), chain {(report.AuditChainIntact == true ? "intact" : $"BROKEN ({report.AuditProblem})")}.";
}
