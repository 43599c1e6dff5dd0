using System.Globalization;

namespace PipelinePki.Core.Renewal;

/// <summary>When a certificate is due: a share of its lifetime left (<c>33%</c>) or an absolute margin (<c>8h</c>).</summary>
public sealed record RenewalThreshold(double? Fraction, TimeSpan? Margin)
{
    /// <summary>Renew with a third of the lifetime left: an 8 h margin on a 24 h certificate.</summary>
    public static RenewalThreshold Default { get; } = new(1.0 / 3, null);

    public static RenewalThreshold Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.EndsWith('%'))
        {
            return double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent > 0 && percent <= 100
                ? new RenewalThreshold(percent / 100, null)
                : throw new UsageException($"--before: '{text}' is not a percentage of the lifetime between 1% and 100% (for example 33%).");
        }

        return Durations.TryParse(text, out var margin) && margin > TimeSpan.Zero
            ? new RenewalThreshold(null, margin)
            : throw new UsageException($"--before: '{text}' is neither a percentage (33%) nor a duration (8h).");
    }

    public override string ToString() => Fraction is { } f ? $"{(f * 100).ToString("0.##", CultureInfo.InvariantCulture)}%" : Durations.Format(Margin!.Value);
}

/// <summary>The verdict: due or not, since when, and a sentence saying why.</summary>
public sealed record RenewalDecision(bool Due, DateTimeOffset DueAt, TimeSpan Remaining, string Reason);

public static class RenewalSchedule
{
    public static RenewalDecision Decide(DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now, RenewalThreshold threshold)
    {
        ArgumentNullException.ThrowIfNull(threshold);
        var lifetime = notAfter - notBefore;
        var margin = threshold.Fraction is { } fraction ? TimeSpan.FromTicks((long)(lifetime.Ticks * fraction)) : threshold.Margin!.Value;
        var dueAt = notAfter - margin;
        var remaining = notAfter - now;
        var due = now >= dueAt;
        var left = remaining <= TimeSpan.Zero ? "expired" : $"{Durations.FormatApproximate(remaining)} left";
        var reason = due
            ? $"due: {left}, renewal window ({threshold} before expiry) opened {dueAt:u}"
            : $"not due: {left}, renewal window ({threshold} before expiry) opens {dueAt:u}";
        return new RenewalDecision(due, dueAt, remaining, reason);
    }
}
