using PipelinePki.Core;
using PipelinePki.Core.IO;
using PipelinePki.Core.Renewal;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests;

public class RenewalScheduleTests
{
    private static readonly DateTimeOffset NotBefore = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset NotAfter = NotBefore.AddHours(24);

    [Theory]
    [InlineData("33%", 15.9, false)]
    [InlineData("33%", 16.1, true)]
    [InlineData("50%", 11.9, false)]
    [InlineData("50%", 12.0, true)]
    [InlineData("8h", 15.9, false)]
    [InlineData("8h", 16.0, true)]
    [InlineData("30m", 23.4, false)]
    [InlineData("30m", 23.6, true)]
    [InlineData("10%", 30, true)]
    public void Decide_PercentageAndAbsolute(string before, double hoursAfterNotBefore, bool due)
    {
        var decision = RenewalSchedule.Decide(NotBefore, NotAfter, NotBefore.AddHours(hoursAfterNotBefore), RenewalThreshold.Parse(before));
        Assert.Equal(due, decision.Due);
        Assert.StartsWith(due ? "due" : "not due", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0%")]
    [InlineData("101%")]
    [InlineData("abc")]
    [InlineData("-5h")]
    public void Parse_Nonsense_IsUsageError(string text) =>
        Assert.Throws<UsageException>(() => RenewalThreshold.Parse(text));
}

public class FileSetReplacementTests
{
    private static void Write(string directory, string version)
    {
        foreach (var name in new[] { "cert.pem", "key.pem", "chain.pem" })
        {
            File.WriteAllText(Path.Combine(directory, name), $"{name} {version}");
        }
    }

    private static IEnumerable<string> Versions(string directory) =>
        Directory.GetFiles(directory).Where(f => !Path.GetFileName(f).StartsWith('.')).Select(File.ReadAllText).Select(t => t.Split(' ')[1]).Distinct();

    [Fact]
    public void Commit_ReplacesEveryFile_AndRemovesStaging()
    {
        using var temp = new TempDirectory();
        Write(temp.Path, "old");
        var staging = FileSetReplacement.CreateStaging(temp.Path);
        Write(staging, "new");
        var files = FileSetReplacement.Commit(staging);
        Assert.Equal(3, files.Count);
        Assert.Equal(["new"], Versions(temp.Path));
        Assert.Empty(Directory.GetDirectories(temp.Path));
    }

    [Fact]
    public void Recover_StagedButNeverCommitted_KeepsTheOldSet()
    {
        using var temp = new TempDirectory();
        Write(temp.Path, "old");
        var staging = FileSetReplacement.CreateStaging(temp.Path);
        Write(staging, "new");

        // The process died before the commit marker: the old set stays, the staging goes.
        FileSetReplacement.Recover(temp.Path);
        Assert.Equal(["old"], Versions(temp.Path));
        Assert.Empty(Directory.GetDirectories(temp.Path));
    }

    [Fact]
    public void Recover_CrashHalfwayThroughTheRenames_RollsForwardToTheNewSet()
    {
        using var temp = new TempDirectory();
        Write(temp.Path, "old");
        var staging = FileSetReplacement.CreateStaging(temp.Path);
        Write(staging, "new");

        // Simulate a crash after the marker was written and one file was renamed.
        File.WriteAllText(Path.Combine(temp.Path, ".replace-commit"), $"{Path.GetFileName(staging)}\ncert.pem\nchain.pem\nkey.pem\n");
        File.Move(Path.Combine(staging, "cert.pem"), Path.Combine(temp.Path, "cert.pem"), overwrite: true);
        Assert.Equal(2, Versions(temp.Path).Count());

        FileSetReplacement.Recover(temp.Path);
        Assert.Equal(["new"], Versions(temp.Path));
        Assert.False(File.Exists(Path.Combine(temp.Path, ".replace-commit")));
        Assert.Empty(Directory.GetDirectories(temp.Path));
    }
}
