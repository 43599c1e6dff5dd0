using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

/// <summary>Policy, audit log, inventory reports and expiry monitoring through the binary, as a pipeline runs them.</summary>
public class GovernanceTests
{
    [Fact]
    public async Task Issue_PolicyRefusesBeforeTheCa_LogsTheRefusal_AllowsWhatItPermits()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var policy = cli.PathOf("policy.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\nissuance:\n  max-ttl: { default: 24h, code-signing: 1h }\n  san-dns: [\"*.ci.example.internal\"]\n");

        var tooLong = await cli.RunAsync("cert", "issue", "--home", cli.Home, "--name", "sign", "--profile", "code-signing", "--ttl", "2h", "--out", cli.PathOf("a"), "--policy", policy);
        ErrorAssert.OneLine(tooLong, 5, "[max-ttl]");
        Assert.False(Directory.Exists(cli.PathOf("a")));

        // The refusal happens before the source is opened: a missing CA home does not matter.
        var noCa = await cli.RunAsync("cert", "issue", "--home", cli.PathOf("nowhere"), "--name", "x", "--san", "dns:x.example.com", "--out", cli.PathOf("b"), "--policy", policy);
        ErrorAssert.OneLine(noCa, 5, "[san-dns]");

        cli.Environment["PIPELINE_PKI_POLICY"] = policy;
        var viaEnvironment = await cli.RunAsync("cert", "issue", "--home", cli.Home, "--name", "x", "--san", "dns:x.prod.example.internal", "--out", cli.PathOf("c"));
        ErrorAssert.OneLine(viaEnvironment, 5, "[san-dns]");

        var ok = await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "build", "--san", "dns:build.ci.example.internal", "--out", cli.PathOf("d"), "--format", "json");
        var serial = JsonDocument.Parse(ok.StandardOutput).RootElement.GetProperty("serial").GetString();

        // The inventory holds the issuing CA (from ca init) and the one permitted leaf; nothing of the refused requests.
        var inventory = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json")).StandardOutput).RootElement;
        Assert.Equal([serial], inventory.EnumerateArray().Where(r => r.GetProperty("profile").GetString() != "intermediate-ca").Select(r => r.GetProperty("serial").GetString()));

        var lines = (await File.ReadAllLinesAsync(Path.Combine(cli.Home, "audit.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["denied", "success"], lines.Where(l => l.GetProperty("action").GetString() == "issue").Select(l => l.GetProperty("outcome").GetString()).Distinct());
        Assert.Equal(["max-ttl", "san-dns"], lines.Where(l => l.GetProperty("outcome").GetString() == "denied").Select(l => l.GetProperty("rule").GetString()));
        Assert.Equal(serial, lines.Last().GetProperty("serials")[0].GetString());
        Assert.Equal("local", lines.Last().GetProperty("actor").GetProperty("ci").GetString());
        Assert.Equal(0, (await cli.RunAsync("audit", "verify", "--home", cli.Home)).ExitCode);
    }

    [Fact]
    public async Task Policy_ValidateShowTest_ExplainRuleByRule()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "svc", "--san", "dns:svc.ci.example.internal", "--profile", "server", "--out", cli.PathOf("svc"));
        var bad = cli.PathOf("bad.yaml");
        await File.WriteAllTextAsync(bad, "version: 1\nissuance:\n  max-ttl: { default: 1d, nightly: 2h }\n");
        var invalid = await cli.RunAsync("policy", "validate", bad);
        ErrorAssert.OneLine(invalid, 3, $"{bad}:3:27: max-ttl: unknown profile 'nightly'");

        var shown = await cli.RunOkAsync("policy", "show");
        Assert.Contains("version: 1", shown.StandardOutput, StringComparison.Ordinal);
        await File.WriteAllTextAsync(cli.PathOf("default.yaml"), shown.StandardOutput);
        await cli.RunOkAsync("policy", "validate", cli.PathOf("default.yaml"));

        var policy = cli.PathOf("policy.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\nissuance:\n  max-ttl: 12h\n  san-dns: [\"*.ci.example.internal\"]\nverification:\n  trusted-roots: [ca/root.pem]\n  min-remaining: 1h\n");
        var effective = await cli.RunOkAsync("policy", "show", "--policy", policy);
        Assert.Contains("max-ttl: { default: 12h }", effective.StandardOutput, StringComparison.Ordinal);

        var test = await cli.RunAsync("policy", "test", "--policy", policy, cli.PathOf("svc", "fullchain.pem"), "--trust", cli.PathOf("svc", "root.pem"));
        Assert.Equal(5, test.ExitCode);
        foreach (var rule in new[] { "key-type", "max-ttl", "san-dns", "ci-identity", "trusted-roots", "min-remaining", "revocation", "signature-algorithm" })
        {
            Assert.Contains($" {rule}", test.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Matches(@"FAIL max-ttl\s+lifetime 1d exceeds 12h", test.StandardOutput);
        Assert.Matches(@"ok   san-dns", test.StandardOutput);
        Assert.Matches(@"ok   trusted-roots", test.StandardOutput);
        Assert.Contains("policy violation [max-ttl]", test.StandardError, StringComparison.Ordinal);

        var json = await cli.RunAsync("policy", "test", "--policy", policy, cli.PathOf("svc", "cert.pem"), "--format", "json");
        Assert.Equal(5, json.ExitCode);
        var document = JsonDocument.Parse(json.StandardOutput).RootElement;
        Assert.False(document.GetProperty("passed").GetBoolean());
        Assert.Equal(2, document.GetProperty("evaluations").GetArrayLength());
    }

    [Fact]
    public async Task Verification_PolicyOnCertVerifyCheckAndArtifactVerify()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "svc", "--san", "dns:svc.example.internal", "--profile", "server", "--out", cli.PathOf("svc"));
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "release", "--san", "uri:spiffe://example.internal/ci/release", "--profile", "code-signing", "--ttl", "1h", "--out", cli.PathOf("sig"));
        var root = cli.PathOf("svc", "root.pem");
        var leaf = cli.PathOf("svc", "fullchain.pem");
        var strict = cli.PathOf("strict.yaml");
        await File.WriteAllTextAsync(strict, $"version: 1\nverification:\n  trusted-roots: [\"sha256:{new string('A', 64)}\"]\n");
        var lenient = cli.PathOf("lenient.yaml");
        await File.WriteAllTextAsync(lenient, $"version: 1\nverification:\n  trusted-roots: [svc/root.pem]\n  min-remaining: 1h\n  signature-algorithm: [ecdsa-with-SHA384]\n  signer-identity:\n    - {{ artifact: \"*.tgz\", identity: \"spiffe://example.internal/ci/release\" }}\n");
        var wantsLong = cli.PathOf("long.yaml");
        await File.WriteAllTextAsync(wantsLong, "version: 1\nverification:\n  min-remaining: 48h\n");

        await cli.RunOkAsync("cert", "verify", leaf, "--trust", root, "--revocation", "none", "--policy-file", lenient);
        ErrorAssert.OneLine(await cli.RunAsync("cert", "verify", leaf, "--trust", root, "--revocation", "none", "--policy-file", strict), 5, "[trusted-roots]");
        var jsonError = await cli.RunAsync("cert", "verify", leaf, "--trust", root, "--revocation", "none", "--policy-file", strict, "--format", "json");
        Assert.Equal(5, JsonDocument.Parse(jsonError.StandardOutput).RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());

        await cli.RunOkAsync("cert", "check", leaf, "--trust", root, "--revocation", "none", "--min-remaining", "1h", "--policy", lenient);
        ErrorAssert.OneLine(await cli.RunAsync("cert", "check", leaf, "--trust", root, "--revocation", "none", "--min-remaining", "1h", "--policy", wantsLong), 5, "[min-remaining]");

        await File.WriteAllTextAsync(cli.PathOf("app.tgz"), "release bits");
        await File.WriteAllTextAsync(cli.PathOf("other.tgz"), "other bits");
        await cli.RunOkAsync("sign", cli.PathOf("app.tgz"), "--key", cli.PathOf("sig", "key.pem"), "--cert", cli.PathOf("sig", "fullchain.pem"), "--home", cli.Home);
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "intruder", "--san", "uri:spiffe://example.internal/ci/other", "--profile", "code-signing", "--ttl", "1h", "--out", cli.PathOf("bad"));
        await cli.RunOkAsync("sign", cli.PathOf("other.tgz"), "--key", cli.PathOf("bad", "key.pem"), "--cert", cli.PathOf("bad", "fullchain.pem"), "--home", cli.Home);

        await cli.RunOkAsync("verify", cli.PathOf("app.tgz"), "--trust", root, "--revocation", "none", "--policy", lenient);
        var wrongSigner = await cli.RunAsync("verify", cli.PathOf("other.tgz"), "--trust", root, "--revocation", "none", "--policy", lenient);
        ErrorAssert.OneLine(wrongSigner, 5, "[signer-identity]");

        var explained = await cli.RunAsync("policy", "test", "--policy", lenient, cli.PathOf("other.tgz"), "--trust", root);
        Assert.Equal(5, explained.ExitCode);
        Assert.Matches(@"FAIL signer-identity\s+.*other\.tgz must be signed by spiffe://example.internal/ci/release", explained.StandardOutput);

        // sign and verify left their lines in the CA home's log: two signatures, two verifications (one denied by the rule).
        var lines = (await File.ReadAllLinesAsync(Path.Combine(cli.Home, "audit.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count(l => l.GetProperty("action").GetString() == "sign"));
        var verifications = lines.Where(l => l.GetProperty("action").GetString() == "verify").ToList();
        cli.Environment["PIPELINE_PKI_HOME"] = cli.Home;
        await cli.RunOkAsync("verify", cli.PathOf("app.tgz"), "--trust", root, "--revocation", "none");
        Assert.Empty(verifications);
        var after = (await File.ReadAllLinesAsync(Path.Combine(cli.Home, "audit.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var verify = Assert.Single(after, l => l.GetProperty("action").GetString() == "verify");
        Assert.Equal("success", verify.GetProperty("outcome").GetString());
        Assert.EndsWith("app.tgz", verify.GetProperty("artifacts")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_EightParallelIssuers_OneIntactChain_NoSecrets_EditDetected()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        var runs = Enumerable.Range(0, 8).Select(i => cli.RunAsync("cert", "issue", "--home", cli.Home, "--name", $"agent-{i}", "--out", cli.PathOf($"out{i}"), "--audit-stdout")).ToList();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));

        var log = Path.Combine(cli.Home, "audit.jsonl");
        var text = await File.ReadAllTextAsync(log);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal(8, lines.Length);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()).Order());

        // --audit-stdout printed each process's own line, identical to the file's.
        Assert.All(results, r => Assert.Contains(r.StandardOutput.Split('\n').First(l => l.StartsWith("{\"seq\"", StringComparison.Ordinal)), lines));

        // Never a passphrase, a key or key material.
        Assert.DoesNotContain(CliSession.Passphrase, text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        for (var i = 0; i < 8; i++)
        {
            var keyBody = string.Concat((await File.ReadAllLinesAsync(cli.PathOf($"out{i}", "key.pem"))).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
            Assert.DoesNotContain(keyBody[..40], text, StringComparison.Ordinal);
        }

        var intact = await cli.RunOkAsync("audit", "verify", "--audit-log", log, "--format", "json");
        Assert.True(JsonDocument.Parse(intact.StandardOutput).RootElement.GetProperty("intact").GetBoolean());

        lines[4] = lines[4].Replace("agent-", "AGENT-", StringComparison.Ordinal);
        await File.WriteAllTextAsync(log, string.Join('\n', lines) + "\n");
        ErrorAssert.OneLine(await cli.RunAsync("audit", "verify", "--home", cli.Home), 4, ":5: line 5 was edited");
    }

    [Fact]
    public async Task Audit_RevokeAndCrlLines_AndSyslogCopy()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        var socketPath = cli.PathOf("log.sock");
        using var syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        syslog.Bind(new UnixDomainSocketEndPoint(socketPath));
        cli.Environment["PIPELINE_PKI_SYSLOG_SOCKET"] = socketPath;
        cli.Environment["GITHUB_ACTIONS"] = "true";
        cli.Environment["GITHUB_REPOSITORY"] = "acme/app";
        cli.Environment["GITHUB_RUN_ID"] = "77";
        cli.Environment["GITHUB_REF"] = "refs/heads/main";
        var issued = JsonDocument.Parse((await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "x", "--out", cli.PathOf("x"), "--format", "json", "--audit-syslog")).StandardOutput);
        var serial = issued.RootElement.GetProperty("serial").GetString()!;
        await cli.RunOkAsync("ca", "revoke", "--home", cli.Home, "--serial", serial, "--reason", "keyCompromise");
        await cli.RunOkAsync("ca", "crl", "--home", cli.Home, "--out", cli.PathOf("ca.crl"));

        var buffer = new byte[8192];
        syslog.ReceiveTimeout = 5000;
        var message = Encoding.UTF8.GetString(buffer, 0, syslog.Receive(buffer));
        Assert.Matches(@"^<110>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ pipeline-pki \d+ issue - \{""seq"":1,", message);

        var lines = (await File.ReadAllLinesAsync(Path.Combine(cli.Home, "audit.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["issue", "revoke", "crl"], lines.Select(l => l.GetProperty("action").GetString()));
        Assert.Equal("keyCompromise", lines[1].GetProperty("reason").GetString());
        Assert.Equal(serial, lines[1].GetProperty("serials")[0].GetString());
        Assert.Equal("acme/app", lines[0].GetProperty("actor").GetProperty("repository").GetString());
        Assert.Equal("refs/heads/main", lines[0].GetProperty("actor").GetProperty("ref").GetString());
        await cli.RunOkAsync("audit", "verify", "--home", cli.Home);
    }

    [Fact]
    public async Task Inventory_FiltersPagesAndComplianceReport_MatchTheJsonInventoryExactly()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        var serials = new List<string>();
        foreach (var (name, profile, ttl, keyType) in new[] { ("a", "mtls", "24h", "ecdsa-p384"), ("b", "server", "1h", "ecdsa-p256"), ("c", "code-signing", "2h", "ecdsa-p384"), ("d", "client", "24h", "rsa-3072") })
        {
            var issued = await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", name, "--profile", profile, "--ttl", ttl, "--key-type", keyType, "--out", cli.PathOf(name), "--format", "json");
            serials.Add(JsonDocument.Parse(issued.StandardOutput).RootElement.GetProperty("serial").GetString()!);
        }

        await cli.RunOkAsync("ca", "revoke", "--home", cli.Home, "--serial", serials[3], "--reason", "superseded");
        var policy = cli.PathOf("p.yaml");
        await File.WriteAllTextAsync(policy, "version: 1\nissuance:\n  key-type: [ecdsa-p384]\n");
        await cli.RunAsync("cert", "issue", "--home", cli.Home, "--name", "e", "--key-type", "ecdsa-p256", "--out", cli.PathOf("e"), "--policy", policy);

        var inventory = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json")).StandardOutput).RootElement.EnumerateArray().ToList();
        Assert.Equal(5, inventory.Count); // the four leaves and the issuing CA from ca init

        var expiring = await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--expiring-within", "3h", "--format", "json");
        Assert.Equal(
            inventory.Where(r => r.GetProperty("status").GetString() == "valid" && r.GetProperty("notAfter").GetDateTimeOffset() <= DateTimeOffset.UtcNow.AddHours(3)).Select(r => r.GetProperty("serial").GetString()).Order(),
            JsonDocument.Parse(expiring.StandardOutput).RootElement.EnumerateArray().Select(r => r.GetProperty("serial").GetString()).Order());
        Assert.Equal(2, Regex.Matches(expiring.StandardError, "pipeline-pki: warning: certificate ").Count);
        var revoked = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--status", "revoked", "--format", "json")).StandardOutput).RootElement;
        Assert.Equal(serials[3], Assert.Single(revoked.EnumerateArray()).GetProperty("serial").GetString());
        var mine = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--requested-by", "local:", "--format", "json")).StandardOutput).RootElement;
        Assert.Equal(5, mine.GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--requested-by", "github:", "--format", "json")).StandardOutput).RootElement.GetArrayLength());

        var markdown = (await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "markdown")).StandardOutput;
        foreach (var row in inventory)
        {
            Assert.Contains($"| `{row.GetProperty("serial").GetString()}` | {row.GetProperty("subject").GetString()} |", markdown, StringComparison.Ordinal);
        }

        var report = JsonDocument.Parse((await cli.RunOkAsync("ca", "report", "--home", cli.Home, "--compliance", "--format", "json")).StandardOutput).RootElement;
        Assert.Equal(inventory.Count, report.GetProperty("issued").GetInt32());
        foreach (var (field, key) in new[] { ("byProfile", "profile"), ("byKeyType", "keyType"), ("byIssuer", "issuer") })
        {
            var expected = inventory.GroupBy(r => r.GetProperty(key).GetString()!).ToDictionary(g => g.Key, g => g.Count());
            var actual = report.GetProperty(field).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            Assert.Equal(expected, actual);
        }

        Assert.Equal(inventory.Count(r => r.GetProperty("status").GetString() == "revoked"), report.GetProperty("revoked").GetInt32());
        Assert.Equal(1, report.GetProperty("revocationsByReason").GetProperty("superseded").GetInt32());
        Assert.Equal(inventory.Count(r => r.GetProperty("status").GetString() == "valid"), report.GetProperty("validNow").GetInt32());
        Assert.Equal(1, report.GetProperty("violationsByRule").GetProperty("key-type").GetInt32());
        Assert.True(report.GetProperty("auditChainIntact").GetBoolean());

        var none = JsonDocument.Parse((await cli.RunOkAsync("ca", "report", "--home", cli.Home, "--compliance", "--until", "30d", "--format", "json")).StandardOutput).RootElement;
        Assert.Equal(0, none.GetProperty("issued").GetInt32());
        var text = await cli.RunOkAsync("ca", "report", "--home", cli.Home, "--compliance", "--since", "1d");
        Assert.Contains("issued 5, revoked 1", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("| key-type | 1 |", (await cli.RunOkAsync("ca", "report", "--home", cli.Home, "--compliance", "--format", "markdown")).StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_ExitCodes_InventoryAndEndpoints()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "localhost", "--san", "dns:localhost", "--profile", "server", "--ttl", "48h", "--out", cli.PathOf("srv"));
        await using var server = await OpenSslServer.StartAsync(cli.PathOf("srv", "cert.pem"), cli.PathOf("srv", "key.pem"), cli.PathOf("srv", "chain.pem"));
        var endpoint = $"https://localhost:{server.Port}";

        var quiet = await cli.RunAsync("ca", "watch", "--home", cli.Home, "--within", "24h", "--endpoint", endpoint, "--format", "json");
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        var document = JsonDocument.Parse(quiet.StandardOutput).RootElement;
        Assert.Equal(2, document.GetProperty("certificatesWatched").GetInt32()); // the leaf and the issuing CA
        Assert.Equal(0, document.GetProperty("findings").GetArrayLength());

        var inside = await cli.RunAsync("ca", "watch", "--home", cli.Home, "--within", "7d", "--endpoint", endpoint, "--format", "json");
        Assert.Equal(4, inside.ExitCode);
        var findings = JsonDocument.Parse(inside.StandardOutput).RootElement.GetProperty("findings").EnumerateArray().ToList();
        Assert.Equal(["certificate", "endpoint"], findings.Select(f => f.GetProperty("kind").GetString()));
        Assert.Equal(2, Regex.Matches(inside.StandardError, "pipeline-pki: warning: ").Count);

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closed = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var unreachable = await cli.RunAsync("ca", "watch", "--home", cli.Home, "--within", "1d", "--endpoint", $"https://127.0.0.1:{closed}", "--timeout", "3s");
        Assert.Equal(6, unreachable.ExitCode);
        Assert.Contains("unreachable", unreachable.StandardOutput, StringComparison.Ordinal);

        // Something inside the margin outranks an unreachable endpoint.
        Assert.Equal(4, (await cli.RunAsync("ca", "watch", "--home", cli.Home, "--within", "7d", "--endpoint", $"https://127.0.0.1:{closed}", "--timeout", "3s")).ExitCode);

        var leafSerial = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json")).StandardOutput).RootElement
            .EnumerateArray().Single(r => r.GetProperty("profile").GetString() == "server").GetProperty("serial").GetString()!;
        await cli.RunOkAsync("ca", "revoke", "--home", cli.Home, "--serial", leafSerial);
        Assert.Equal(0, (await cli.RunAsync("ca", "watch", "--home", cli.Home, "--within", "7d")).ExitCode);
    }

    [Fact]
    public async Task InventoryHtml_RendersInHeadlessChromium_TableRowsChartBarsScreenshot()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase");
        for (var i = 0; i < 5; i++)
        {
            await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", $"agent-{i}", "--ttl", $"{(i + 1) * 6}h", "--out", cli.PathOf($"o{i}"));
        }

        var serials = JsonDocument.Parse((await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json")).StandardOutput).RootElement
            .EnumerateArray().Select(r => r.GetProperty("serial").GetString()!).ToList();
        var page = cli.PathOf("inventory.html");
        await File.WriteAllTextAsync(page, (await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "html")).StandardOutput);

        var chromium = Chromium();
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", $"--user-data-dir={cli.PathOf("profile")}"];
        var dom = await ProcessRunner.RunAsync(chromium, [.. common, "--virtual-time-budget=3000", "--dump-dom", new Uri(page).AbsoluteUri], timeout: TimeSpan.FromMinutes(2));
        Assert.True(dom.ExitCode == 0, dom.ToString());
        foreach (var serial in serials)
        {
            Assert.Single(Regex.Matches(dom.StandardOutput, $"<tr class=\"row valid\" data-serial=\"{serial}\""));
            Assert.Single(Regex.Matches(dom.StandardOutput, $"<rect class=\"bar valid\" data-serial=\"{serial}\""));
        }

        Assert.Equal(serials.Count, Regex.Matches(dom.StandardOutput, "<tr class=\"row ").Count);
        Assert.Equal(serials.Count, Regex.Matches(dom.StandardOutput, "<rect class=\"bar ").Count);

        var png = cli.PathOf("inventory.png");
        var shot = await ProcessRunner.RunAsync(chromium, [.. common, "--window-size=1200,900", "--hide-scrollbars", $"--screenshot={png}", new Uri(page).AbsoluteUri], timeout: TimeSpan.FromMinutes(2));
        Assert.True(shot.ExitCode == 0, shot.ToString());
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 10_000, $"screenshot is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }

    /// <summary>Debian's chromium; test.sh installs it. Missing means the test fails, never skips.</summary>
    private static string Chromium()
    {
        foreach (var candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("chromium is not installed: apt-get install -y chromium (test.sh does this)");
    }
}
