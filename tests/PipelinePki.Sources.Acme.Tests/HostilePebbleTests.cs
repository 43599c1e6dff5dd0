using PipelinePki.TestKit;

namespace PipelinePki.Sources.Acme.Tests;

[Collection(HostilePebbleCollection.Name)]
public sealed class HostilePebbleTests(HostilePebbleFixture fixture) : IDisposable
{
    private readonly TempDirectory temp = new();

    [Fact]
    public async Task CertIssue_BadNonceStormAndValidationSleeps_StillIssuesAVerifiableChain()
    {
        var cli = new AcmeCli(fixture.Pebble, temp);
        var outDir = temp.Combine("out");

        // Three names: three authorizations, each polled through Pebble's random validation delay,
        // and every signed request a coin toss against PEBBLE_WFE_NONCEREJECT=50.
        var result = await cli.RunAsync(cli.Issue(outDir, "--name", "storm.build.example", "--san", "dns:a.storm.build.example", "--san", "dns:b.storm.build.example", "--verbose"));

        Assert.True(result.ExitCode == 0, result.ToString() + fixture.Pebble.Log);
        var verdict = await cli.VerifyAsync(outDir);
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
        // Pebble does not log its refusals; the client's --verbose log shows the retries it made.
        Assert.Contains("badNonce on ", result.StandardError, StringComparison.Ordinal);
    }

    public void Dispose() => temp.Dispose();
}
