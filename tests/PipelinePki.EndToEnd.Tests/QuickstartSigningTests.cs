using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class QuickstartSigningTests
{
    /// <summary>Splits a printed command line the way a POSIX shell would for these simple lines (single quotes only).</summary>
    private static string[] Words(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line)
        {
            if (c == '\'')
            {
                quoted = !quoted;
                any = true;
            }
            else if (c == ' ' && !quoted)
            {
                if (any)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    any = false;
                }
            }
            else
            {
                current.Append(c);
                any = true;
            }
        }

        if (any)
        {
            words.Add(current.ToString());
        }

        return [.. words];
    }

    [Fact]
    public async Task Quickstart_SignsWithEphemeralKey_PrintedLinesVerify_AlsoADayLater_AndMtlsRoundTripWorks()
    {
        using var cli = new CliSession();
        var run = await cli.RunOkAsync("quickstart", "--dir", cli.PathOf("qs"), "--format", "json");
        using var json = JsonDocument.Parse(run.StandardOutput);
        var signing = json.RootElement.GetProperty("signing");
        var lines = signing.GetProperty("verifyCommands").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(3, lines.Count);
        Assert.StartsWith("openssl cms -verify", lines[0], StringComparison.Ordinal);
        Assert.True(signing.TryGetProperty("timestampTime", out _));

        var openssl = await OpenSsl.RunAsync(Words(lines[0])[1..]);
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Contains("Verification successful", openssl.Combined, StringComparison.Ordinal);

        var dayLater = DateTimeOffset.UtcNow.AddDays(1).ToString("O");
        foreach (var line in lines.Skip(1))
        {
            var words = Words(line);
            Assert.Equal("pipeline-pki", words[0]);
            await cli.RunOkAsync(words[1..]);

            // The signer certificate lived 15 minutes; the timestamp keeps the signature valid a day later.
            var later = await cli.RunOkAsync([.. words[1..], "--at", dayLater, "--format", "json"]);
            using var verdict = JsonDocument.Parse(later.StandardOutput);
            Assert.True(verdict.RootElement.GetProperty("isValid").GetBoolean());
        }

        // The ephemeral key never reached the disk: the only private keys are the CA's and the agent's.
        var keyFiles = Directory.EnumerateFiles(cli.PathOf("qs"), "*", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).Contains("PRIVATE KEY", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(cli.PathOf("qs"), f))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["build-agent/key.pem", "ca/intermediate.key.pem", "ca/root.key.pem", "ca/tsa.key.pem"], keyFiles);

        // A tampered demo artifact fails the printed verification.
        await File.AppendAllTextAsync(signing.GetProperty("artifact").GetString()!, "tampered");
        var tampered = await cli.RunAsync(Words(lines[1])[1..]);
        Assert.Equal(4, tampered.ExitCode);

        var mtls = json.RootElement.GetProperty("mtls");
        Assert.StartsWith("TLSv1.", mtls.GetProperty("protocol").GetString(), StringComparison.Ordinal);
        Assert.Equal("CN=build-agent", mtls.GetProperty("serverSawClient").GetString());
        Assert.Equal("ping from the build agent", mtls.GetProperty("request").GetString());
        Assert.Equal("pong from build-agent.pipeline-pki.local", mtls.GetProperty("response").GetString());
    }
}
