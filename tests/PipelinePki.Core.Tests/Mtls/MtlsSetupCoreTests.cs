using Microsoft.Extensions.Logging.Abstractions;
using Org.BouncyCastle.Asn1.X509;
using PipelinePki.Core;
using PipelinePki.Core.Mtls.Setup;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Pki;

namespace PipelinePki.Core.Tests.Mtls;

public class MtlsSetupCoreTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TempDirectory temp = new();
    private readonly TestPki pki = new();
    private readonly TestCertificate root;
    private readonly TestCertificate client;

    public MtlsSetupCoreTests()
    {
        root = pki.Root("Core Test Root").Build();
        client = pki.Leaf("core-client", root).ExtendedKeyUsage(KeyPurposeID.id_kp_clientAuth).Build();
        Directory.CreateDirectory(Home);
    }

    private string Home => temp.Combine("home");

    private string State => temp.Combine("state");

    [Fact]
    public async Task Setup_PreExistingOwnerOnlyFile_StaysOwnerOnlyAndIsRestoredExactly()
    {
        var curlrc = Path.Combine(Home, ".curlrc");
        File.WriteAllText(curlrc, "silent\n");
        File.SetUnixFileMode(curlrc, OwnerOnly);

        var result = await new MtlsSetup(TimeProvider.System, NullLogger<MtlsSetup>.Instance).RunAsync(Request("curl"), CancellationToken.None);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(curlrc));
        Assert.StartsWith("silent\n", File.ReadAllText(curlrc), StringComparison.Ordinal);
        Assert.Contains("cert = ", File.ReadAllText(curlrc), StringComparison.Ordinal);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(State, "client.key")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(State, "manifest.json")));
        Assert.Contains(result.Environment, e => e.Name == "CURL_CA_BUNDLE" && e.Value == Path.Combine(State, "trust-bundle.pem"));

        new MtlsTeardown().Run(new MtlsTeardownRequest(State), CancellationToken.None);
        Assert.Equal("silent\n", File.ReadAllText(curlrc));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(curlrc));
        Assert.False(Directory.Exists(State));
    }

    [Fact]
    public async Task Teardown_KeyFile_OverwrittenBeforeUnlink()
    {
        await new MtlsSetup(TimeProvider.System, NullLogger<MtlsSetup>.Instance).RunAsync(Request("curl"), CancellationToken.None);
        var key = Path.Combine(State, "client.key");
        var length = new FileInfo(key).Length;

        // A second name for the same inode shows what happened to the bytes after the unlink.
        var witness = temp.Combine("witness");
        Assert.Equal(0, (await ProcessRunner.RunAsync("ln", [key, witness])).ExitCode);
        new MtlsTeardown().Run(new MtlsTeardownRequest(State), CancellationToken.None);

        Assert.False(File.Exists(key));
        var bytes = File.ReadAllBytes(witness);
        Assert.Equal(length, bytes.Length);
        Assert.All(bytes, b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task Setup_LaterTargetFails_EarlierChangesRolledBackAndErrorNamesTarget()
    {
        var gitconfig = Path.Combine(Home, ".gitconfig");
        File.WriteAllText(gitconfig, "[user]\n\tname = x\n");
        Directory.CreateDirectory(Path.Combine(Home, ".npmrc"));

        var error = await Assert.ThrowsAsync<BadInputException>(() =>
            new MtlsSetup(TimeProvider.System, NullLogger<MtlsSetup>.Instance).RunAsync(Request("curl", "git=https://h.example/", "npm=https://h.example/"), CancellationToken.None));

        Assert.StartsWith("--for npm=https://h.example/:", error.Message, StringComparison.Ordinal);
        Assert.Equal("[user]\n\tname = x\n", File.ReadAllText(gitconfig));
        Assert.False(File.Exists(Path.Combine(Home, ".curlrc")));
        Assert.False(Directory.Exists(State));
    }

    [Fact]
    public async Task Setup_ExpiredCertificate_RefusedUnlessAllowed()
    {
        var expired = pki.Leaf("old", root).Expired().Build();
        var request = Request("curl") with { CertificatePath = expired.WritePem(temp, "old.pem"), KeyPath = expired.WriteKeyPem(temp, "old.key") };
        var setup = new MtlsSetup(TimeProvider.System, NullLogger<MtlsSetup>.Instance);

        await Assert.ThrowsAsync<NotValidException>(() => setup.RunAsync(request, CancellationToken.None));
        Assert.False(Directory.Exists(State));
        await setup.RunAsync(request with { AllowExpired = true }, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(Home, ".curlrc")));
    }

    [Theory]
    [InlineData("docker", "needs a value")]
    [InlineData("curl=x", "takes no value")]
    [InlineData("npm=http://r/", "https://")]
    [InlineData("kube=https://k,bad name", "name")]
    [InlineData("svn=https://x/", "unknown target")]
    public void Target_Malformed_UsageErrorNamingIt(string text, string mentions)
    {
        var error = Assert.Throws<UsageException>(() => MtlsTarget.Parse(text));
        Assert.Contains(mentions, error.Message, StringComparison.Ordinal);
        Assert.Contains(text, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Target_WithName_Split()
    {
        var target = MtlsTarget.Parse("nuget=https://n.example/v3/index.json,internal");
        Assert.Equal(("nuget", "https://n.example/v3/index.json", "internal"), (target.Kind, target.Value, target.Name));
    }

    [Fact]
    public void IniValues_ExistingSection_KeysReplacedNotDuplicated()
    {
        var edited = ConfigText.SetIniValues("[global]\ntimeout = 60\ncert = /old.pem\n[install]\nuser = true\n", "global", [("cert", "/new.pem"), ("client-cert", "/c.pem")]);
        Assert.Equal("[global]\n# " + ConfigText.Marker + "\ncert = /new.pem\nclient-cert = /c.pem\ntimeout = 60\n[install]\nuser = true\n", edited);
    }

    [Theory]
    [InlineData("https://r.example/", "//r.example/")]
    [InlineData("https://r.example:8443/npm/registry", "//r.example:8443/npm/")]
    [InlineData("https://r.example/npm/registry/", "//r.example/npm/registry/")]
    public void NerfDart_MatchesNpmScoping(string url, string expected) => Assert.Equal(expected, ConfigText.NerfDart(new Uri(url)));

    private MtlsSetupRequest Request(params string[] targets)
    {
        var environment = new Dictionary<string, string> { ["HOME"] = Home };
        return new MtlsSetupRequest(
            client.WritePem(temp, "client.pem"),
            client.WriteKeyPem(temp, "client.key"),
            root.WritePem(temp, "root.pem"),
            targets.Select(MtlsTarget.Parse).ToList(),
            State,
            AllowExpired: false,
            DockerDaemonCertsDirectory: null,
            name => environment.GetValueOrDefault(name),
            () => null);
    }

    public void Dispose() => temp.Dispose();
}
