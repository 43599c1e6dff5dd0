using System.Globalization;

namespace PipelinePki.Core;

/// <summary>Durations as the CLI contract writes them: <c>90s</c>, <c>15m</c>, <c>24h</c>, <c>7d</c>, <c>1y</c>.</summary>
public static class Durations
{
    public static TimeSpan Parse(string text, string optionName)
    {
        if (TryParse(text, out var value))
        {
            return value;
        }

        throw new UsageException($"{optionName}: '{text}' is not a duration; write a whole number followed by s, m, h, d or y (for example 24h or 7d).");
    }

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 2)
        {
            return false;
        }

        var unit = char.ToLowerInvariant(text[^1]);
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        // Checked arithmetic: a huge number is a usage error, not a silent wrap-around.
        try
        {
            value = unit switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                // A year is 365 days: certificate lifetimes are counted that way by every CA we know.
                'y' => TimeSpan.FromDays(checked(amount * 365)),
                _ => TimeSpan.MinValue,
            };
        }
        catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
        {
            return false;
        }

        return value > TimeSpan.Zero && value <= TimeSpan.FromDays(365 * 100);
    }

    /// <summary>A lifetime for people: rounded to the minute, so 24 h minus a second of signing still reads "24h".</summary>
    public static string FormatApproximate(TimeSpan value) =>
        Format(TimeSpan.FromMinutes(Math.Max(1, Math.Round(value.TotalMinutes))));

    public static string Format(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerDay == 0)
        {
            var days = (long)value.TotalDays;
            return days % 365 == 0 ? $"{days / 365}y" : $"{days}d";
        }

        if (value.Ticks % TimeSpan.TicksPerHour == 0)
        {
            return $"{(long)value.TotalHours}h";
        }

        return value.Ticks % TimeSpan.TicksPerMinute == 0 ? $"{(long)value.TotalMinutes}m" : $"{(long)value.TotalSeconds}s";
    }
}
