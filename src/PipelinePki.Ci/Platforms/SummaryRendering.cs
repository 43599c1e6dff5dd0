using System.Globalization;
using System.Text;

namespace PipelinePki.Ci.Platforms;

/// <summary>A <see cref="CiSummary"/> as Markdown (GitHub, Azure) or aligned plain text (GitLab's log).</summary>
public static class SummaryRendering
{
    public static string Markdown(CiSummary summary)
    {
        var text = new StringBuilder();
        text.Append($"### pipeline-pki: {Cell(summary.Title)}\n\n");
        if (summary.Headline is { Length: > 0 } headline)
        {
            text.Append($"{Cell(headline)}\n\n");
        }

        if (summary.Rows.Count > 0)
        {
            text.Append("| ").Append(string.Join(" | ", summary.Columns.Select(Cell))).Append(" |\n");
            text.Append('|').Append(string.Concat(summary.Columns.Select(_ => " --- |"))).Append('\n');
            foreach (var row in summary.Rows)
            {
                text.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
            }

            text.Append('\n');
        }

        if (summary.Validity.Count > 0)
        {
            text.Append(Gantt(summary.Validity)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A Mermaid gantt of certificate validity, one bar per certificate, grouped by section.</summary>
    public static string Gantt(IReadOnlyList<ValidityBar> bars)
    {
        var text = new StringBuilder("```mermaid\ngantt\n    title Certificate validity (UTC)\n    dateFormat YYYY-MM-DD HH:mm\n    axisFormat %Y-%m-%d\n");
        foreach (var group in bars.GroupBy(b => b.Section))
        {
            text.Append($"    section {MermaidText(group.Key)}\n");
            foreach (var bar in group)
            {
                text.Append($"    {MermaidText(bar.Label)} : {Time(bar.From)}, {Time(bar.To)}\n");
            }
        }

        return text.Append("```\n").ToString();
    }

    public static string PlainText(CiSummary summary)
    {
        var text = new StringBuilder();
        if (summary.Headline is { Length: > 0 } headline)
        {
            text.Append(headline).Append('\n');
        }

        if (summary.Rows.Count > 0)
        {
            var widths = summary.Columns.Select((c, i) => Math.Max(c.Length, summary.Rows.Max(r => i < r.Count ? Flat(r[i]).Length : 0))).ToArray();
            text.Append(Line(summary.Columns, widths));
            foreach (var row in summary.Rows)
            {
                text.Append(Line(row, widths));
            }
        }

        foreach (var bar in summary.Validity)
        {
            text.Append($"  {bar.Section} {bar.Label}: valid {Time(bar.From)} → {Time(bar.To)} UTC\n");
        }

        return text.ToString();
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        "  " + string.Join("  ", cells.Select((c, i) => Flat(c).PadRight(widths[i]))).TrimEnd() + "\n";

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Flat(string value) => value.ReplaceLineEndings(" ");

    private static string Cell(string value) => Flat(value).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>':' ends a task name and '#' starts a comment in Mermaid's gantt grammar.</summary>
    private static string MermaidText(string value) =>
        string.Concat(Flat(value).Select(c => c is ':' or '#' or ';' ? ' ' : c)).Trim() is { Length: > 0 } text ? text : "-";
}
