using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PipelinePki.Core.Audit;

/// <summary>A copy of every audit line somewhere else (stdout, syslog); the file stays the chained record.</summary>
public interface IAuditSink
{
    void Write(string line, AuditEntry entry);
}

/// <summary>
/// Where one command's audit lines go: the chained file (when there is one) and any extra sinks.
/// With no file and no sink it records nothing, so commands can always call it.
/// </summary>
public sealed class AuditTrail(AuditLogFile? file, IReadOnlyList<IAuditSink> sinks, TimeProvider time, ILogger<AuditTrail> logger)
{
    public AuditLogFile? File => file;

    public bool Enabled => file is not null || sinks.Count > 0;

    public async Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return;
        }

        // Without a file the copies are not chained (seq 0, genesis prev) but still carry a content hash.
        var line = file is not null
            ? await file.AppendAsync(entry, cancellationToken)
            : AuditLogFile.Seal(entry, 0, time.GetUtcNow(), AuditRecord.Genesis);
        foreach (var sink in sinks)
        {
            try
            {
                sink.Write(line, entry);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                // The file is the record of truth; a missing syslog daemon must not fail a pipeline.
                logger.LogWarning("audit copy to {Sink} failed ({Message}); the audit file still has the line", sink.GetType().Name, e.Message);
            }
        }
    }
}

/// <summary><c>--audit-stdout</c>: each line as it is written, for log shippers that read the job output.</summary>
public sealed class TextWriterAuditSink(TextWriter writer) : IAuditSink
{
    public void Write(string line, AuditEntry entry) => writer.WriteLine(line);
}

/// <summary>
/// <c>--audit-syslog</c>: RFC 5424 messages over the local syslog socket (a Unix datagram socket,
/// <c>/dev/log</c>), facility log audit (13), severity informational, or warning for refusals and failures.
/// </summary>
public sealed class SyslogAuditSink(string socketPath, TimeProvider time, string hostName, int processId) : IAuditSink
{
    public const string DefaultSocket = "/dev/log";
    private const int FacilityLogAudit = 13;

    public void Write(string line, AuditEntry entry)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.SendTo(System.Text.Encoding.UTF8.GetBytes(Format(line, entry, time.GetUtcNow(), hostName, processId)), new UnixDomainSocketEndPoint(socketPath));
    }

    /// <summary><c>&lt;PRI&gt;1 TIMESTAMP HOSTNAME pipeline-pki PROCID ACTION - MSG</c> (RFC 5424 §6, no structured data).</summary>
    public static string Format(string line, AuditEntry entry, DateTimeOffset at, string hostName, int processId)
    {
        var severity = entry.Outcome == AuditOutcomes.Success ? 6 : 4;
        var priority = (FacilityLogAudit * 8) + severity;
        var host = string.IsNullOrWhiteSpace(hostName) ? "-" : new string(hostName.Where(c => c is > ' ' and < (char)127).Take(255).ToArray());
        return string.Create(
            CultureInfo.InvariantCulture,
            $"<{priority}>1 {at.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {host} pipeline-pki {processId} {entry.Action} - {line}");
    }
}
