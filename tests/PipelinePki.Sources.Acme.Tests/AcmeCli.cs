using PipelinePki.TestKit;

namespace PipelinePki.Sources.Acme.Tests;

/// <summary>The CLI against one Pebble: the common options, a temp folder, and checks every run must pass.</summary>
internal sealed class AcmeCli(PebbleServer pebble, TempDirectory temp)
{
    public string State => temp.Combine("state");

    public string[] Common(params string[] extra) =>
        ["--acme-directory", pebble.DirectoryUrl, "--acme-ca-bundle", pebble.TlsCaBundle, "--state", State, "--acme-timeout", "90s", .. extra];

    public string[] Issue(string outDir, params string[] extra) =>
        ["cert", "issue", "--source", "acme", .. Common("--http-port", pebble.HttpChallengePort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-bind", "127.0.0.1", "--out", outDir), .. extra];

    public async Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var result = await CliProcess.RunAsync(environment, temp.Path, arguments);
        AssertNoAccountKeyIn(result);
        return result;
    }

    public Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    /// <summary>No line of any stored account key's PEM body may appear in the output.</summary>
    public void AssertNoAccountKeyIn(ProcessResult result)
    {
        if (!Directory.Exists(State))
        {
            return;
        }

        foreach (var keyFile in Directory.GetFiles(State, "account.key.pem", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadAllLines(keyFile).Where(l => !l.StartsWith("-----", StringComparison.Ordinal) && l.Length > 16))
            {
                Assert.DoesNotContain(line, result.Combined, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>OpenSSL's verdict on the chain written to <paramref name="outDir"/> against Pebble's root <paramref name="rootIndex"/>.</summary>
    public async Task<ProcessResult> VerifyAsync(string outDir, int rootIndex = 0)
    {
        var root = await pebble.WriteRootAsync(temp.Combine($"pebble-root-{rootIndex}.pem"), rootIndex);
        return await OpenSsl.VerifyAsync(root, Path.Combine(outDir, "chain.pem"), Path.Combine(outDir, "cert.pem"), "sslserver");
    }
}
