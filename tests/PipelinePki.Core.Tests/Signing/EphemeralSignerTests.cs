using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests.Signing;

public class EphemeralSignerTests
{
    [Fact]
    public async Task Create_CertifiesTheInMemoryKey_ForCodeSigning_For15Minutes()
    {
        using var temp = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        using var identity = await new EphemeralSigner(authority).CreateAsync(
            new EphemeralSignerRequest("ephemeral", [SubjectAlternativeName.Uri("spiffe://test/ci")], EphemeralSignerRequest.DefaultLifetime, KeySpec.Default, ThrowawayCa.TestRequester),
            CancellationToken.None);

        Assert.Equal(identity.Key.SubjectPublicKeyInfo, identity.Certificate.CertificateStructure.SubjectPublicKeyInfo.GetEncoded());
        Assert.Contains("1.3.6.1.5.5.7.3.3", identity.Certificate.GetExtendedKeyUsage().Select(o => o.Id));
        Assert.Equal(time.GetUtcNow().AddMinutes(15), new DateTimeOffset(identity.Certificate.NotAfter, TimeSpan.Zero));
        Assert.Single(identity.Chain);
        Assert.Equal("code-signing", identity.Record.Profile);
        Assert.Contains("uri:spiffe://test/ci", identity.Record.SubjectAlternativeNames);
        Assert.DoesNotContain(Directory.EnumerateFiles(temp.Path, "*", SearchOption.AllDirectories), f => !f.StartsWith(temp.Combine("ca"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task CertificationRequestBuilder_RequestVerifies_AndTheSourceCertifiesThatKey()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), TimeProvider.System);
        using var key = KeyGenerator.Generate(KeySpec.Parse("ecdsa-p256"));
        var der = CertificationRequestBuilder.Create(key, "renewed");
        var csr = PkiObjectReader.ReadCertificationRequest(der, "test");
        Assert.True(csr.Verify());
        using var issued = await authority.IssueAsync(
            ThrowawayCa.Request("renewed") with { CertificationRequest = new Authorities.CertificationRequestInput(der, "test") },
            CancellationToken.None);
        Assert.Null(issued.PrivateKey);
        Assert.Equal(key.SubjectPublicKeyInfo, issued.Certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }
}
