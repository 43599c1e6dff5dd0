namespace PipelinePki.TestKit;

/// <summary>
/// The CLI as users and wrappers run it: a separate process. <c>PIPELINE_PKI_CLI</c> names the
/// binary to test (test.sh sets it to the native AOT build); otherwise the framework-dependent
/// build next to the tests runs under <c>dotnet</c>.
/// </summary>
public static class CliProcess
{
    public static (string FileName, string[] Prefix) Command()
    {
        var configured = Environment.GetEnvironmentVariable("PIPELINE_PKI_CLI");
        if (!string.IsNullOrEmpty(configured))
        {
            return (configured, []);
        }

        var dll = Path.Combine(AppContext.BaseDirectory, "pipeline-pki.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"no CLI to test: set PIPELINE_PKI_CLI or build the CLI next to the tests ({dll}).");
        }

        return ("dotnet", [dll]);
    }

    public static Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string?>? environment, string? workingDirectory, params string[] arguments)
    {
        var (fileName, prefix) = Command();
        return ProcessRunner.RunAsync(fileName, [.. prefix, .. arguments], workingDirectory, environment);
    }

    public static Task<ProcessResult> RunAsync(params string[] arguments) => RunAsync(null, null, arguments);
}
