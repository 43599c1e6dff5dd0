using PipelinePki.Core;

namespace PipelinePki.Core.Tests;

public class DurationsTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 15 * 60)]
    [InlineData("24h", 24 * 3600)]
    [InlineData("7d", 7 * 86400)]
    [InlineData("1y", 365 * 86400)]
    public void Parse_ValidText_ReturnsSeconds(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Durations.Parse(text, "--ttl"));

    [Theory]
    [InlineData("")]
    [InlineData("24")]
    [InlineData("h")]
    [InlineData("-5m")]
    [InlineData("0h")]
    [InlineData("1.5h")]
    [InlineData("10w")]
    [InlineData("999999999999y")]
    public void Parse_InvalidText_ThrowsUsageNamingTheOption(string text)
    {
        var error = Assert.Throws<UsageException>(() => Durations.Parse(text, "--ttl"));
        Assert.StartsWith("--ttl:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(86400, "1d")]
    [InlineData(3600 * 24 * 365, "1y")]
    [InlineData(3600 * 5, "5h")]
    [InlineData(90, "90s")]
    public void Format_RoundTripsThroughParse(long seconds, string expected)
    {
        var value = TimeSpan.FromSeconds(seconds);
        Assert.Equal(expected, Durations.Format(value));
        Assert.Equal(value, Durations.Parse(Durations.Format(value), "--x"));
    }

    [Fact]
    public void FormatApproximate_SecondShortOfADay_ReadsAsOneDay() =>
        Assert.Equal("1d", Durations.FormatApproximate(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1)));
}
