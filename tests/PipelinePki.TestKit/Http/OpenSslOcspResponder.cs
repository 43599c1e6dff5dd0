using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.X509;

namespace PipelinePki.TestKit.Http;

/// <summary>
/// <c>openssl ocsp</c> running as a responder in the background: the independent implementation
/// our OCSP client must agree with. Port 0 lets the OS choose; OpenSSL prints the port it got
/// ("ACCEPT [::]:PORT"), so there is no race for a port.
/// </summary>
public sealed partial class OpenSslOcspResponder : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private OpenSslOcspResponder(Process process) => this.process = process;

    /// <summary>http://127.0.0.1:PORT/ once started.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>What OpenSSL printed so far, for assertion messages.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <param name="index">An OpenSSL CA database (see <see cref="IndexLine"/>).</param>
    /// <param name="ca">The issuer whose certificates are answered for.</param>
    /// <param name="signer">The responder certificate (the CA itself, or a delegated responder).</param>
    /// <param name="signerKey">Its unencrypted private key.</param>
    /// <param name="requests">OpenSSL exits after this many requests.</param>
    public static async Task<OpenSslOcspResponder> StartAsync(string index, string ca, string signer, string signerKey, int requests, params string[] extra)
    {
        var info = new ProcessStartInfo("openssl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["ocsp", "-index", index, "-CA", ca, "-rsigner", signer, "-rkey", signerKey, "-port", "0",
            "-nrequest", requests.ToString(CultureInfo.InvariantCulture), "-ndays", "1", .. extra])
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start openssl ocsp");
        var responder = new OpenSslOcspResponder(process);
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => responder.Collect(e.Data, port);
        process.ErrorDataReceived += (_, e) => responder.Collect(e.Data, port);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var chosen = await port.Task.WaitAsync(TimeSpan.FromSeconds(15));
            responder.Url = new Uri($"http://127.0.0.1:{chosen}/");
            return responder;
        }
        catch (TimeoutException)
        {
            await responder.DisposeAsync();
            throw new InvalidOperationException($"openssl ocsp did not start listening:\n{responder.Output}");
        }
    }

    /// <summary>
    /// One line of OpenSSL's index.txt: <c>V</c>alid or <c>R</c>evoked, expiry, revocation time with
    /// optional reason, serial in hex, file name (always "unknown"), subject.
    /// </summary>
    public static string IndexLine(X509Certificate certificate, DateTimeOffset? revokedAt = null, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var expiry = OpenSslTime(new DateTimeOffset(DateTime.SpecifyKind(certificate.NotAfter, DateTimeKind.Utc)));
        var revocation = revokedAt is { } at ? OpenSslTime(at) + (reason is null ? string.Empty : "," + reason) : string.Empty;
        var serial = certificate.SerialNumber.ToString(16).ToUpperInvariant();
        if (serial.Length % 2 == 1)
        {
            serial = "0" + serial;
        }

        var subject = "/" + certificate.SubjectDN.ToString(false, Org.BouncyCastle.Asn1.X509.X509Name.DefaultSymbols).Replace(",", "/", StringComparison.Ordinal);
        return $"{(revokedAt is null ? "V" : "R")}\t{expiry}\t{revocation}\t{serial}\tunknown\t{subject}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    private static string OpenSslTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";

    private void Collect(string? line, TaskCompletionSource<int> port)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        if (AcceptLine().Match(line) is { Success: true } match)
        {
            port.TrySetResult(int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^ACCEPT \S*:(?<port>\d+)")]
    private static partial Regex AcceptLine();
}
