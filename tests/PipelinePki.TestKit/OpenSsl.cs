namespace PipelinePki.TestKit;

/// <summary>OpenSSL, the independent judge of every certificate, CRL and key the product writes.</summary>
public static class OpenSsl
{
    public static Task<ProcessResult> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("openssl", arguments);

    public static Task<ProcessResult> RunWithEnvironmentAsync(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        ProcessRunner.RunAsync("openssl", arguments, environment: environment);

    /// <summary><c>openssl verify -x509_strict</c> with the given purpose; returns the result for asserting.</summary>
    public static Task<ProcessResult> VerifyAsync(string root, string chain, string leaf, string? purpose, params string[] extra)
    {
        var arguments = new List<string> { "verify", "-x509_strict", "-CAfile", root, "-untrusted", chain };
        if (purpose is not null)
        {
            arguments.AddRange(["-purpose", purpose]);
        }

        arguments.AddRange(extra);
        arguments.Add(leaf);
        return ProcessRunner.RunAsync("openssl", arguments);
    }

    public static async Task<string> TextAsync(string kind, string file)
    {
        var result = await RunAsync(kind, "-in", file, "-noout", "-text");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl {kind} -text failed on {file}: {result}");
        }

        return result.StandardOutput;
    }
}
