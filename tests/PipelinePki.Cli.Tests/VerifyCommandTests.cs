using PipelinePki.Cli.Commands;

namespace PipelinePki.Cli.Tests;

public sealed class VerifyCommandTests
{
    [Theory]
    [InlineData("2.23.140.1.2.1", true)]
    [InlineData("2.5.29.32.0", true)]
    [InlineData("0.9", true)]
    [InlineData("1", false)]
    [InlineData("3.1.2", false)]
    [InlineData("12.1", false)]
    [InlineData("1..2", false)]
    [InlineData("1.2.", false)]
    [InlineData("1.2.a", false)]
    [InlineData("1.2.٣", false)]
    [InlineData("", false)]
    public void PolicyOid_DottedDecimalWithAFirstArcOfZeroToTwo(string text, bool expected)
    {
        Assert.Equal(expected, VerifyCommand.IsObjectIdentifier(text));
    }
}
