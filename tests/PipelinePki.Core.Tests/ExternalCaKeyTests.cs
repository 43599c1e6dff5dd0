using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Keys;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests;

/// <summary>
/// The CA's side of the <see cref="IExternalKeyProvider"/> seam, with a hand-written spy standing in
/// for the token (PipelinePki.Hsm.Tests and the end-to-end tests run the real SoftHSM2 one).
/// </summary>
public sealed class ExternalCaKeyTests
{
    private const string RootUri = "pkcs11:token=CI;object=root";
    private const string IntermediateUri = "pkcs11:token=CI;object=int";

    [Fact]
    public async Task Initialize_BothKeysExternal_RecordsUrisModuleAndPinVariableAndWritesNoKeyFile()
    {
        using var temp = new TempDirectory();
        var spy = new SpyProvider();

        var result = await InitAsync(temp.Path, spy, new ExternalCaKeys(RootUri, IntermediateUri, "/opt/hsm/module.so", "MY_PIN"));

        var home = LocalCaHome.Open(temp.Path);
        Assert.Equal(RootUri, home.Config.RootKeyUri);
        Assert.Equal(IntermediateUri, home.Config.IntermediateKeyUri);
        Assert.Equal("/opt/hsm/module.so", home.Config.Pkcs11Module);
        Assert.Equal("MY_PIN", home.Config.Pkcs11PinEnv);
        Assert.False(File.Exists(home.RootKeyPath));
        Assert.False(File.Exists(home.IntermediateKeyPath));
        Assert.True(File.Exists(home.TsaKeyPath));
        Assert.Equal([$"generate {RootUri} ecdsa-p384 /opt/hsm/module.so MY_PIN", $"generate {IntermediateUri} ecdsa-p256 /opt/hsm/module.so MY_PIN"], spy.Calls);
        Assert.Equal(RootUri, result.RootKeyOnToken);
        using var root = X509CertificateLoader.LoadCertificateFromFile(home.RootCertificatePath);
        Assert.Equal(Convert.ToHexString(spy.PublicKeyOf(RootUri)), Convert.ToHexString(root.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public async Task IssueAndCrls_KeysExternal_OpenedThroughTheProviderWithTheRecordedReference()
    {
        using var temp = new TempDirectory();
        var spy = new SpyProvider();
        await InitAsync(temp.Path, spy, new ExternalCaKeys(RootUri, IntermediateUri, "/opt/hsm/module.so", "MY_PIN"));
        spy.Calls.Clear();
        var authority = new LocalAuthority(LocalCaHome.Open(temp.Path), () => null, new FakeTimeProvider(DateTimeOffset.UtcNow), NullLogger<LocalAuthority>.Instance, spy);

        using var issued = await authority.IssueAsync(ThrowawayCa.Request("leaf.example.internal"), CancellationToken.None);
        await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(7)), CancellationToken.None);
        await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(7)), CancellationToken.None);

        Assert.Equal([$"open {IntermediateUri} /opt/hsm/module.so MY_PIN", $"open {IntermediateUri} /opt/hsm/module.so MY_PIN", $"open {RootUri} /opt/hsm/module.so MY_PIN"], spy.Calls);
        using var intermediate = X509CertificateLoader.LoadCertificateFromFile(authority.Home.IntermediateCertificatePath);
        Assert.Equal(intermediate.SubjectName.Name, issued.Certificate.IssuerName.Name);
        Assert.Equal(Convert.ToHexString(spy.PublicKeyOf(IntermediateUri)), Convert.ToHexString(intermediate.PublicKey.ExportSubjectPublicKeyInfo()));
        new Org.BouncyCastle.X509.X509Certificate(issued.Certificate.RawData).Verify(new Org.BouncyCastle.X509.X509Certificate(intermediate.RawData).GetPublicKey());
        var status = authority.GetStatus();
        Assert.True(status.RootKey.OnToken);
        Assert.Equal(RootUri, status.RootKey.Path);
    }

    [Fact]
    public async Task Open_NoProviderWired_BadInputNamingCaJson()
    {
        using var temp = new TempDirectory();
        await InitAsync(temp.Path, new SpyProvider(), new ExternalCaKeys(null, IntermediateUri, null, "MY_PIN"));
        var authority = new LocalAuthority(LocalCaHome.Open(temp.Path), () => null, TimeProvider.System, NullLogger<LocalAuthority>.Instance);

        var e = await Assert.ThrowsAsync<BadInputException>(() => authority.IssueAsync(ThrowawayCa.Request("leaf.example.internal"), CancellationToken.None));

        Assert.Contains("ca.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("'pkcs11:' keys cannot be opened here", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_IntermediateExternal_RequiresANewUriThenRecordsItAndArchivesTheOldOne()
    {
        using var temp = new TempDirectory();
        var spy = new SpyProvider();
        await InitAsync(temp.Path, spy, new ExternalCaKeys(RootUri, IntermediateUri, "/opt/hsm/module.so", "MY_PIN"));
        var authority = new LocalAuthority(LocalCaHome.Open(temp.Path), () => null, TimeProvider.System, NullLogger<LocalAuthority>.Instance, spy);
        var request = new RotateIntermediateRequest(TimeSpan.FromDays(30), null, ThrowawayCa.TestRequester);

        var missing = await Assert.ThrowsAsync<UsageException>(() => authority.RotateIntermediateAsync(request, CancellationToken.None));
        var same = await Assert.ThrowsAsync<UsageException>(() => authority.RotateIntermediateAsync(request with { IntermediateKeyUri = IntermediateUri }, CancellationToken.None));
        await authority.RotateIntermediateAsync(request with { IntermediateKeyUri = "pkcs11:token=CI;object=int2" }, CancellationToken.None);

        Assert.Contains("--pkcs11-intermediate", missing.Message, StringComparison.Ordinal);
        Assert.Contains("new object= label", same.Message, StringComparison.Ordinal);
        var home = LocalCaHome.Open(temp.Path);
        Assert.Equal("pkcs11:token=CI;object=int2", home.Config.IntermediateKeyUri);
        Assert.Equal(2, home.Config.IntermediateGeneration);
        Assert.Contains(IntermediateUri, File.ReadAllText(Directory.GetFiles(home.ArchiveDirectory, "*.key.uri").Single()), StringComparison.Ordinal);
        using var intermediate = X509CertificateLoader.LoadCertificateFromFile(home.IntermediateCertificatePath);
        Assert.Equal(Convert.ToHexString(spy.PublicKeyOf("pkcs11:token=CI;object=int2")), Convert.ToHexString(intermediate.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public async Task Initialize_SameUriForBoth_UsageExceptionBeforeAnythingIsWritten()
    {
        using var temp = new TempDirectory();
        var home = Path.Combine(temp.Path, "ca");

        var e = await Assert.ThrowsAsync<UsageException>(() => InitAsync(home, new SpyProvider(), new ExternalCaKeys(RootUri, RootUri, null, "MY_PIN")));

        Assert.Contains("name the same key", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(home));
    }

    private static Task<CaInitResult> InitAsync(string home, IExternalKeyProvider provider, ExternalCaKeys keys) =>
        new LocalCaInitializer(new FakeTimeProvider(DateTimeOffset.UtcNow), NullLogger<LocalCaInitializer>.Instance, provider).InitializeAsync(
            new CaInitRequest(home, "Token CI", KeySpec.EcdsaP384, KeySpec.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365), EncryptKeys: false, ThrowawayCa.TestRequester,
                ExternalKeys: keys),
            () => null,
            CancellationToken.None);

    /// <summary>A "token" in memory: keys by URI, generated on first use; records every call.</summary>
    private sealed class SpyProvider : IExternalKeyProvider
    {
        private readonly Dictionary<string, IExportableKey> keys = [];

        public List<string> Calls { get; } = [];

        public byte[] PublicKeyOf(string uri) => keys[uri].SubjectPublicKeyInfo;

        public bool Handles(string reference) => reference.StartsWith("pkcs11:", StringComparison.Ordinal);

        public ISigningKey Open(ExternalKeyReference reference)
        {
            Calls.Add($"open {reference.Reference} {reference.ModulePath} {reference.PinEnvironmentVariable}");
            return new OnToken(keys[reference.Reference]);
        }

        public ExternalKey OpenOrGenerate(ExternalKeyReference reference, KeySpec spec)
        {
            Calls.Add($"generate {reference.Reference} {spec} {reference.ModulePath} {reference.PinEnvironmentVariable}");
            var generated = !keys.ContainsKey(reference.Reference);
            if (generated)
            {
                keys[reference.Reference] = KeyGenerator.Generate(spec);
            }

            return new ExternalKey(new OnToken(keys[reference.Reference]), generated);
        }

        public string Describe(string reference) => reference.Split('?')[0];

        /// <summary>Signs but cannot be exported, like a token key; disposing it leaves the "token" intact.</summary>
        private sealed class OnToken(IExportableKey key) : ISigningKey
        {
            public KeySpec Spec => key.Spec;

            public byte[] SubjectPublicKeyInfo => key.SubjectPublicKeyInfo;

            public byte[] SignatureAlgorithmIdentifier => key.SignatureAlgorithmIdentifier;

            public byte[] Sign(ReadOnlySpan<byte> data) => key.Sign(data);

            public void Dispose()
            {
            }
        }
    }
}
