using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;

namespace PipelinePki.Sources.Acme;

/// <summary>
/// dns-01 through a user command. Calling convention (documented in the README):
/// <c>/bin/sh -c 'HOOK "$@"' dns-hook ACTION RECORD VALUE</c>, where ACTION is <c>add</c> or
/// <c>remove</c>, RECORD the TXT record name (<c>_acme-challenge.example.org.</c>, fully qualified)
/// and VALUE the TXT value; the same three are in <c>PIPELINE_PKI_DNS_ACTION</c>,
/// <c>PIPELINE_PKI_DNS_RECORD</c> and <c>PIPELINE_PKI_DNS_VALUE</c>, and the name being validated in
/// <c>PIPELINE_PKI_DNS_DOMAIN</c>. "add" must return once the record is published; exit 0 = done.
/// </summary>
internal sealed class DnsHook(string command, ILogger logger)
{
    private static readonly TimeSpan HookTimeout = TimeSpan.FromMinutes(2);

    public static string RecordName(string domain) => $"_acme-challenge.{domain.TrimStart('*', '.')}.";

    /// <summary>RFC 8555 §8.4: base64url(SHA-256(key authorization)).</summary>
    public static string RecordValue(string keyAuthorization) =>
        Base64Url.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(keyAuthorization)));

    public async Task RunAsync(string action, string domain, string record, string value, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-c", command + " \"$@\"", "dns-hook", action, record, value])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["PIPELINE_PKI_DNS_ACTION"] = action;
        info.Environment["PIPELINE_PKI_DNS_RECORD"] = record;
        info.Environment["PIPELINE_PKI_DNS_VALUE"] = value;
        info.Environment["PIPELINE_PKI_DNS_DOMAIN"] = domain;
        using var process = Process.Start(info) ?? throw new BadInputException($"--dns-hook: could not start /bin/sh for '{command}'.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HookTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new BadInputException($"--dns-hook: '{command} {action} {record}' did not finish within {HookTimeout.TotalMinutes:0} minutes; make the hook return once the record is published.");
        }

        var output = (await stdout + " " + await stderr).Trim();
        logger.LogDebug("dns hook {Action} {Record}: exit {Exit} {Output}", action, record, process.ExitCode, output);
        if (process.ExitCode != 0)
        {
            var firstLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no output";
            throw new BadInputException($"--dns-hook: '{command} {action} {record}' exited {process.ExitCode} ({firstLine}); fix the hook (it gets ACTION RECORD VALUE as arguments).");
        }
    }
}
