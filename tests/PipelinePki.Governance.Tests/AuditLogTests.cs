using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core;
using PipelinePki.Core.Audit;
using PipelinePki.TestKit;

namespace PipelinePki.Governance.Tests;

public class AuditLogTests : IDisposable
{
    private static readonly AuditActor Actor = new("github", "acme/app", "99/1", "abc123", "dev", "release.yml", "refs/heads/main");
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    private string LogPath => temp.Combine("audit.jsonl");

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Append_WritesChainedLinesWithStableFields()
    {
        await WriteAsync(5);
        var lines = File.ReadAllLines(LogPath);
        Assert.Equal(5, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var names = first.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["seq", "ts", "action", "outcome", "actor", "subject", "serials", "fingerprints", "profile", "keyType", "issuer", "source", "prev", "hash"], names);
        Assert.Equal(1, first.RootElement.GetProperty("seq").GetInt64());
        Assert.Equal("2026-12-01T09:00:00.000Z", first.RootElement.GetProperty("ts").GetString());
        Assert.Equal(new string('0', 64), first.RootElement.GetProperty("prev").GetString());
        Assert.Equal("refs/heads/main", first.RootElement.GetProperty("actor").GetProperty("ref").GetString());
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(first.RootElement.GetProperty("hash").GetString(), second.RootElement.GetProperty("prev").GetString());

        var check = AuditChainVerifier.Verify(LogPath);
        Assert.True(check.Intact, check.Problem);
        Assert.Equal(5, check.Lines);
        Assert.Equal(JsonDocument.Parse(lines[4]).RootElement.GetProperty("hash").GetString(), check.LastHash);
    }

    [Fact]
    public async Task Verify_RemovedLine_NamesWhereTheGapIs()
    {
        await WriteAsync(6);
        var lines = File.ReadAllLines(LogPath).ToList();
        lines.RemoveAt(2);
        File.WriteAllLines(LogPath, lines);
        var check = AuditChainVerifier.Verify(LogPath);
        Assert.False(check.Intact);
        Assert.Equal(3, check.Line);
        Assert.Contains("removed before line 3", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_RemovedFirstLine_IsLine1()
    {
        await WriteAsync(3);
        File.WriteAllLines(LogPath, File.ReadAllLines(LogPath).Skip(1));
        var check = AuditChainVerifier.Verify(LogPath);
        Assert.Equal(1, check.Line);
        Assert.Contains("removed", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_EditedLine_NamesIt()
    {
        await WriteAsync(4);
        var lines = File.ReadAllLines(LogPath);
        lines[1] = lines[1].Replace("\"outcome\":\"success\"", "\"outcome\":\"denied\"", StringComparison.Ordinal);
        File.WriteAllLines(LogPath, lines);
        var check = AuditChainVerifier.Verify(LogPath);
        Assert.Equal(2, check.Line);
        Assert.Contains("line 2 was edited", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_InsertedLine_EvenWithAValidOwnHash_IsNamed()
    {
        await WriteAsync(4);
        var lines = File.ReadAllLines(LogPath).ToList();
        var prev = JsonDocument.Parse(lines[1]).RootElement.GetProperty("hash").GetString()!;
        var forged = AuditLogFile.Seal(new AuditEntry(AuditActions.Issue, AuditOutcomes.Success, Actor, "CN=backdoor"), 3, time.GetUtcNow(), prev);
        lines.Insert(2, forged);
        File.WriteAllLines(LogPath, lines);
        var check = AuditChainVerifier.Verify(LogPath);
        Assert.Equal(3, check.Line);
        Assert.Contains("line 3 was inserted", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_ForgedLineWithRecomputedHash_IsCaughtByTheNextLine()
    {
        await WriteAsync(4);
        var lines = File.ReadAllLines(LogPath);
        var original = JsonDocument.Parse(lines[1]).RootElement;
        lines[1] = AuditLogFile.Seal(
            new AuditEntry(AuditActions.Issue, AuditOutcomes.Success, Actor, "CN=someone-else"),
            original.GetProperty("seq").GetInt64(), time.GetUtcNow(), original.GetProperty("prev").GetString()!);
        File.WriteAllLines(LogPath, lines);
        var check = AuditChainVerifier.Verify(LogPath);
        Assert.Equal(2, check.Line);
        Assert.Contains("line 2 was altered and re-hashed", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_GarbageLine_IsNotARecord()
    {
        await WriteAsync(2);
        File.AppendAllText(LogPath, "{\"seq\":3,\"half\n");
        var check = AuditChainVerifier.Verify(LogPath);
        Assert.Equal(3, check.Line);
        Assert.Contains("not an audit record", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_AfterDamagedLastLine_Refuses()
    {
        await WriteAsync(1);
        File.AppendAllText(LogPath, "not json\n");
        var error = await Assert.ThrowsAsync<BadInputException>(() => WriteAsync(1));
        Assert.Contains("audit verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConcurrentWriters_8Threads25Each_WholeLinesOneChain()
    {
        var writers = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            // A separate instance per thread, as separate processes would have.
            var log = new AuditLogFile(LogPath, TimeProvider.System);
            for (var i = 0; i < 25; i++)
            {
                await log.AppendAsync(new AuditEntry(AuditActions.Sign, AuditOutcomes.Success, Actor, $"CN=thread-{t}", [$"{t:X2}{i:X2}"], Reason: new string('x', 300 + (t * 50))), CancellationToken.None);
            }
        })).ToList();
        await Task.WhenAll(writers);

        var lines = File.ReadAllLines(LogPath);
        Assert.Equal(200, lines.Length);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()));
        var check = AuditChainVerifier.Verify(LogPath);
        Assert.True(check.Intact, check.Problem);
        Assert.Equal(8, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("subject").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Syslog_Rfc5424DatagramOnAUnixSocket()
    {
        var socketPath = temp.Combine("log.sock");
        using var server = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(socketPath));
        var trail = new AuditTrail(new AuditLogFile(LogPath, time), [new SyslogAuditSink(socketPath, time, "runner-1", 4242)], time, NullLogger<AuditTrail>.Instance);
        await trail.RecordAsync(new AuditEntry(AuditActions.Issue, AuditOutcomes.Denied, Actor, "CN=x", Rule: "max-ttl", Reason: "too long"), CancellationToken.None);

        var buffer = new byte[8192];
        server.ReceiveTimeout = 5000;
        var received = Encoding.UTF8.GetString(buffer, 0, server.Receive(buffer));
        Assert.Matches(@"^<108>1 2026-12-01T09:00:00\.000Z runner-1 pipeline-pki 4242 issue - \{", received);
        Assert.EndsWith(File.ReadAllText(LogPath).TrimEnd('\n'), received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Syslog_MissingSocket_WarnsButTheFileStillHasTheLine()
    {
        var trail = new AuditTrail(new AuditLogFile(LogPath, time), [new SyslogAuditSink(temp.Combine("absent.sock"), time, "h", 1)], time, NullLogger<AuditTrail>.Instance);
        await trail.RecordAsync(new AuditEntry(AuditActions.Crl, AuditOutcomes.Success, Actor), CancellationToken.None);
        Assert.Single(File.ReadAllLines(LogPath));
    }

    [Fact]
    public async Task Stdout_SinkGetsTheSameLine_AndNoFileMeansUnchainedCopies()
    {
        var writer = new StringWriter();
        var trail = new AuditTrail(null, [new TextWriterAuditSink(writer)], time, NullLogger<AuditTrail>.Instance);
        await trail.RecordAsync(new AuditEntry(AuditActions.Verify, AuditOutcomes.Failure, Actor, Artifacts: ["/tmp/a"]), CancellationToken.None);
        using var line = JsonDocument.Parse(writer.ToString());
        Assert.Equal(0, line.RootElement.GetProperty("seq").GetInt64());
        Assert.Equal("verify", line.RootElement.GetProperty("action").GetString());
        Assert.False(File.Exists(LogPath));
        Assert.False(new AuditTrail(null, [], time, NullLogger<AuditTrail>.Instance).Enabled);
    }

    private async Task WriteAsync(int count)
    {
        var log = new AuditLogFile(LogPath, time);
        for (var i = 0; i < count; i++)
        {
            await log.AppendAsync(
                new AuditEntry(AuditActions.Issue, AuditOutcomes.Success, Actor, $"CN=build-{i}", [$"0{i}AB"], [new string('F', 64)], Profile: "mtls", KeyType: "ecdsa-p384", Issuer: "CN=Test Issuing CA", Source: "local"),
                CancellationToken.None);
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }
}
