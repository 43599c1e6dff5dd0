using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PipelinePki.Core.Audit;

/// <summary>
/// The hash-chained JSON-lines audit file. Writers take an exclusive lock on <c>FILE.lock</c> (flock
/// through <see cref="FileShare.None"/>, which also separates threads of one process), read the last
/// line's sequence number and hash, and append the new line with a single write followed by fsync,
/// so concurrent processes never interleave partial lines and the chain stays linear.
/// </summary>
public sealed class AuditLogFile(string path, TimeProvider time)
{
    public const string DefaultFileName = "audit.jsonl";

    private const string HashMarker = ",\"hash\":\"";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Appends one entry and returns the line written (without its newline).</summary>
    public async Task<string> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{Path}: cannot create the audit log's folder ({e.Message}); check --audit-log.", e);
        }

        using var lockFile = await AcquireLockAsync(cancellationToken);
        var (lastSeq, lastHash) = ReadTail();
        var line = Seal(entry, lastSeq + 1, time.GetUtcNow(), lastHash);
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        }

        try
        {
            using var stream = new FileStream(Path, options);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{Path}: cannot append to the audit log ({e.Message}); check that it is writable.", e);
        }

        return line;
    }

    /// <summary>The canonical line: the record without its hash, then the hash of exactly those bytes appended as the last field.</summary>
    public static string Seal(AuditEntry entry, long seq, DateTimeOffset at, string prev)
    {
        var record = new AuditRecord(
            seq, at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), entry.Action, entry.Outcome, entry.Actor,
            entry.Subject, entry.Serials, entry.Fingerprints, entry.Artifacts, entry.Profile, entry.KeyType, entry.Issuer, entry.Source, entry.Rule, entry.Reason, prev);
        var unsealed = JsonSerializer.Serialize(record, AuditJson.Default.AuditRecord);
        return $"{unsealed[..^1]}{HashMarker}{HashOf(unsealed)}\"}}";
    }

    internal static string HashOf(string unsealedLine) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(unsealedLine)));

    /// <summary>Splits a sealed line into the bytes that were hashed and the hash it claims; null when it has no hash field at the end.</summary>
    internal static (string Unsealed, string Claimed)? Unseal(string line)
    {
        var at = line.LastIndexOf(HashMarker, StringComparison.Ordinal);
        if (at < 0 || !line.EndsWith("\"}", StringComparison.Ordinal))
        {
            return null;
        }

        var claimed = line[(at + HashMarker.Length)..^2];
        return claimed.Length == 64 ? (line[..at] + "}", claimed) : null;
    }

    internal static AuditRecord? Parse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, AuditJson.Default.AuditRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private (long Seq, string Hash) ReadTail()
    {
        if (!File.Exists(Path))
        {
            return (0, AuditRecord.Genesis);
        }

        var last = LastLine(Path);
        if (last is null)
        {
            return (0, AuditRecord.Genesis);
        }

        var record = Parse(last);
        if (record?.Hash is not { Length: 64 } hash)
        {
            throw new BadInputException($"{Path}: the last line of the audit log is damaged, so the chain cannot continue; run 'pipeline-pki audit verify --audit-log {Path}' and restore the file.");
        }

        return (record.Seq, hash);
    }

    /// <summary>The last non-empty line, read backwards from the end (audit files grow without bound).</summary>
    private static string? LastLine(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var length = stream.Length;
        var chunk = 8192;
        var collected = new List<byte>();
        var position = length;
        while (position > 0)
        {
            var size = (int)Math.Min(chunk, position);
            position -= size;
            var buffer = new byte[size];
            stream.Position = position;
            stream.ReadExactly(buffer);
            collected.InsertRange(0, buffer);
            var text = System.Text.Encoding.UTF8.GetString(collected.ToArray()).TrimEnd('\n', '\r');
            var newline = text.LastIndexOf('\n');
            if (newline >= 0)
            {
                return text[(newline + 1)..];
            }

            if (position == 0)
            {
                return text.Length == 0 ? null : text;
            }
        }

        return null;
    }

    private async Task<FileStream> AcquireLockAsync(CancellationToken cancellationToken)
    {
        var lockPath = Path + ".lock";
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (time.GetElapsedTime(started) < LockTimeout)
            {
                // Another writer holds it; each append takes milliseconds.
                await Task.Delay(TimeSpan.FromMilliseconds(2 + Random.Shared.Next(8)), cancellationToken);
            }
            catch (IOException e)
            {
                throw new BadInputException($"{lockPath}: the audit log stayed locked for {LockTimeout.TotalSeconds:0} s; check for a stuck pipeline-pki process.", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new BadInputException($"{lockPath}: cannot lock the audit log ({e.Message}); check that its folder is writable.", e);
            }
        }
    }
}

/// <summary>The answer of <c>audit verify</c>: intact, or the first line where the chain breaks and why.</summary>
public sealed record AuditVerification(string File, int Lines, bool Intact, int? Line, string? Problem, string? LastHash);

/// <summary>Walks the chain line by line and names the first line that was edited, removed or inserted.</summary>
public static class AuditChainVerifier
{
    public static AuditVerification Verify(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new BadInputException($"{full}: no audit log here; give the file with --audit-log (default: audit.jsonl in the CA home).");
        }

        var lines = File.ReadAllLines(full);
        var count = lines.Length;
        while (count > 0 && lines[count - 1].Length == 0)
        {
            count--;
        }

        var hashes = new string[count];
        var records = new AuditRecord[count];
        for (var i = 0; i < count; i++)
        {
            var number = i + 1;
            var unsealed = AuditLogFile.Unseal(lines[i]);
            var record = AuditLogFile.Parse(lines[i]);
            if (unsealed is null || record is null)
            {
                return Broken(full, count, number, $"line {number} is not an audit record (edited or truncated)");
            }

            if (AuditLogFile.HashOf(unsealed.Value.Unsealed) != unsealed.Value.Claimed)
            {
                return Broken(full, count, number, $"line {number} was edited: its content no longer matches its hash");
            }

            hashes[i] = unsealed.Value.Claimed;
            records[i] = record;
            var expectedPrev = i == 0 ? AuditRecord.Genesis : hashes[i - 1];
            if (record.Prev == expectedPrev)
            {
                if (i > 0 && record.Seq != records[i - 1].Seq + 1)
                {
                    return Broken(full, count, number, $"line {number} has sequence {record.Seq} after {records[i - 1].Seq}: the chain was rebuilt");
                }

                continue;
            }

            if (i == 0)
            {
                return Broken(full, count, 1, record.Seq > 1
                    ? $"the log starts at sequence {record.Seq}: {record.Seq - 1} line(s) before line 1 were removed"
                    : "line 1 does not start the chain (its prev is not the genesis value)");
            }

            if (i >= 2 && record.Prev == hashes[i - 2])
            {
                return Broken(full, count, number - 1, $"line {number - 1} was inserted: line {number} chains to line {number - 2}");
            }

            if (i == 1 && record.Prev == AuditRecord.Genesis)
            {
                return Broken(full, count, 1, "line 1 was inserted: line 2 starts the chain");
            }

            if (record.Seq > records[i - 1].Seq + 1)
            {
                return Broken(full, count, number, $"{record.Seq - records[i - 1].Seq - 1} line(s) removed before line {number} (sequence jumps from {records[i - 1].Seq} to {record.Seq})");
            }

            return Broken(full, count, number - 1, $"line {number - 1} was altered and re-hashed: line {number} recorded a different hash for it");
        }

        return new AuditVerification(full, count, true, null, null, count > 0 ? hashes[count - 1] : null);
    }

    private static AuditVerification Broken(string file, int lines, int line, string problem) => new(file, lines, false, line, problem, null);
}
