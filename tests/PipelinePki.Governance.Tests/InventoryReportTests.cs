using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core;
using PipelinePki.Core.Audit;
using PipelinePki.Core.Governance;
using PipelinePki.Core.Inventory;
using PipelinePki.TestKit;

namespace PipelinePki.Governance.Tests;

public class InventoryReportTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory temp = new();

    private static readonly IReadOnlyList<InventoryRecord> Records =
    [
        Record("01", "mtls", "ecdsa-p384", Now.AddHours(-2), TimeSpan.FromHours(24), new Requester("github", "acme/app", "1")),
        Record("02", "server", "rsa-3072", Now.AddDays(-3), TimeSpan.FromDays(11), new Requester("gitlab", "acme/web", "2")),
        Record("03", "code-signing", "ecdsa-p384", Now.AddDays(-2), TimeSpan.FromDays(1), new Requester("local", Actor: "alice@host")),
        Record("04", "mtls", "ecdsa-p256", Now.AddHours(-1), TimeSpan.FromDays(30), new Requester("github", "acme/app", "3")) with
        {
            Status = CertificateStatus.Revoked, RevokedAt = Now.AddMinutes(-30), RevocationReason = "keyCompromise",
        },
        Record("05", "client", "ecdsa-p384", Now.AddDays(-40), TimeSpan.FromDays(45), new Requester("azure", "acme/api", "4")),
    ];

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Query_ExpiringWithin_KeepsOnlyValidCertificatesInsideTheMargin()
    {
        Assert.Equal(["01"], Serials(new InventoryQuery(ExpiringWithin: TimeSpan.FromDays(1)).Apply(Records, Now)));
        Assert.Equal(["01", "05"], Serials(new InventoryQuery(ExpiringWithin: TimeSpan.FromDays(7)).Apply(Records, Now)));
    }

    [Theory]
    [InlineData("valid", new[] { "01", "02", "05" })]
    [InlineData("revoked", new[] { "04" })]
    [InlineData("expired", new[] { "03" })]
    public void Query_Status(string status, string[] expected) =>
        Assert.Equal(expected, Serials(new InventoryQuery(Status: status).Apply(Records, Now)));

    [Fact]
    public void Query_RequestedBy_MatchesRepositoryRequesterTextOrUser_CaseInsensitive()
    {
        Assert.Equal(["01", "04"], Serials(new InventoryQuery(RequestedBy: "ACME/APP").Apply(Records, Now)));
        Assert.Equal(["03"], Serials(new InventoryQuery(RequestedBy: "alice").Apply(Records, Now)));
        Assert.Equal(["02"], Serials(new InventoryQuery(RequestedBy: "gitlab:").Apply(Records, Now)));
        Assert.Equal(["01"], Serials(new InventoryQuery(TimeSpan.FromDays(7), "valid", "github").Apply(Records, Now)));
        Assert.Throws<UsageException>(() => new InventoryQuery(Status: "pending").Apply(Records, Now));
    }

    [Fact]
    public async Task Compliance_CountsMatchTheInventoryAndTheAuditLog()
    {
        var log = new AuditLogFile(temp.Combine("audit.jsonl"), new FakeTimeProvider(Now.AddHours(-1)));
        var actor = new AuditActor("github", "acme/app");
        foreach (var rule in new[] { "max-ttl", "san-dns", "max-ttl" })
        {
            await log.AppendAsync(new AuditEntry(AuditActions.Issue, AuditOutcomes.Denied, actor, Rule: rule), CancellationToken.None);
        }

        await log.AppendAsync(new AuditEntry(AuditActions.Issue, AuditOutcomes.Success, actor, Serials: ["01"]), CancellationToken.None);

        var all = ComplianceReporter.Build(Records, log.Path, null, null, Now);
        Assert.Equal(5, all.Issued);
        Assert.Equal(new Dictionary<string, int> { ["client"] = 1, ["code-signing"] = 1, ["mtls"] = 2, ["server"] = 1 }, all.ByProfile);
        Assert.Equal(new Dictionary<string, int> { ["ecdsa-p256"] = 1, ["ecdsa-p384"] = 3, ["rsa-3072"] = 1 }, all.ByKeyType);
        Assert.Equal(5, all.ByIssuer["CN=Test Issuing CA"]);
        Assert.Equal(1, all.Revoked);
        Assert.Equal(1, all.RevocationsByReason["keyCompromise"]);
        Assert.Equal(1, all.Expired);
        Assert.Equal(3, all.ValidNow);
        Assert.Equal(new Dictionary<string, int> { ["max-ttl"] = 2, ["san-dns"] = 1 }, all.ViolationsByRule);
        Assert.Equal(4, all.AuditLines);
        Assert.True(all.AuditChainIntact);

        // The last 36 hours: 01 and 04 were issued, 04 revoked, 03 expired (a day ago), the violations happened an hour ago.
        var recent = ComplianceReporter.Build(Records, log.Path, Now.AddHours(-36), Now, Now);
        Assert.Equal(2, recent.Issued);
        Assert.Equal(1, recent.Revoked);
        Assert.Equal(1, recent.Expired);
        Assert.Equal(3, recent.ViolationsByRule.Values.Sum());
        var older = ComplianceReporter.Build(Records, log.Path, Now.AddDays(-50), Now.AddDays(-10), Now);
        Assert.Equal(1, older.Issued);
        Assert.Empty(older.ViolationsByRule);
        Assert.Throws<UsageException>(() => ComplianceReporter.Build(Records, null, Now, Now.AddDays(-1), Now));

        var markdown = InventoryPages.ComplianceMarkdown(all);
        Assert.Contains("| issued | 5 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| max-ttl | 2 |", markdown, StringComparison.Ordinal);
        Assert.Contains("chain intact", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_SelfContained_OneRowAndOneBarPerCertificate_EscapesNames()
    {
        var records = Records.Append(Record("06", "mtls", "ecdsa-p384", Now, TimeSpan.FromHours(1), new Requester("local", Actor: "<script>alert(1)</script>"))).ToList();
        var html = InventoryPages.Html(records, Now, "Inventory <test>");
        Assert.Equal(records.Count, Regex.Matches(html, "<tr class=\"row [a-z]+\" data-serial=").Count);
        Assert.Equal(records.Count, Regex.Matches(html, "<rect class=\"bar [a-z]+\" data-serial=").Count);
        Assert.Contains("Content-Security-Policy", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Inventory <test>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"https?:", html);

        var markdown = InventoryPages.Markdown(records, Now, "Inventory");
        Assert.Equal(records.Count, markdown.Split('\n').Count(l => l.StartsWith("| `", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Watch_InventoryInsideMargin_AndUnreachableEndpoint()
    {
        var time = new FakeTimeProvider(Now);
        var watch = new ExpiryWatch(time);
        var quiet = await watch.RunAsync(new WatchRequest(Records, [], TimeSpan.FromHours(12), TimeSpan.FromSeconds(2)), CancellationToken.None);
        Assert.Empty(quiet.Findings);
        Assert.Equal(3, quiet.CertificatesWatched);

        var week = await watch.RunAsync(new WatchRequest(Records, [], TimeSpan.FromDays(7), TimeSpan.FromSeconds(2)), CancellationToken.None);
        Assert.Equal(["01", "05"], week.Findings.Select(f => f.Serial));
        Assert.True(week.AnyInsideMargin);
        Assert.All(week.Findings, f => Assert.Equal(ExpiryFinding.Expiring, f.Status));

        // A port nobody listens on: bind, note it, close.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var down = await watch.RunAsync(new WatchRequest([], [$"https://127.0.0.1:{port}"], TimeSpan.FromDays(7), TimeSpan.FromSeconds(2)), CancellationToken.None);
        var finding = Assert.Single(down.Findings);
        Assert.Equal(ExpiryFinding.Unreachable, finding.Status);
        Assert.True(down.AnyUnreachable);
        Assert.False(down.AnyInsideMargin);
    }

    private static List<string> Serials(IEnumerable<InventoryRecord> records) => records.Select(r => r.Serial).ToList();

    private static InventoryRecord Record(string serial, string profile, string keyType, DateTimeOffset issuedAt, TimeSpan lifetime, Requester requester) =>
        new(serial, $"CN=cert-{serial}", "CN=Test Issuing CA", "AA", [$"dns:cert-{serial}.example.internal"], issuedAt.AddMinutes(-5), issuedAt + lifetime,
            profile, keyType, new string('F', 64), CertificateStatus.Valid, null, null, "local", requester, issuedAt);
}
