using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>The verifier on what the product's own CA issues: the everyday pipeline cases.</summary>
public sealed class CertificateVerifierTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    private async Task<(LocalAuthority Ca, X509Certificate Root, X509Certificate Intermediate)> CaAsync()
    {
        var ca = await ThrowawayCa.CreateAsync(temp.Combine("ca-" + Guid.NewGuid().ToString("N")[..6]), time);
        return (ca, PkiObjectReader.ReadSingleCertificate(ca.Home.RootCertificatePath), PkiObjectReader.ReadSingleCertificate(ca.Home.IntermediateCertificatePath));
    }

    private static X509Certificate Leaf(IssuedCertificate issued) => PkiObjectReader.ParseCertificate(issued.Certificate.RawData, "leaf");

    private Task<VerificationOutcome> VerifyAsync(VerifyRequest request) => new CertificateVerifier(time).VerifyAsync(request, CancellationToken.None);

    [Fact]
    public async Task Verify_FreshMtlsCertificate_ValidWithPathAndOneResultPerCheck()
    {
        var (ca, root, intermediate) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(sans: ["dns:build.example.internal", "uri:spiffe://example.internal/ci"]), CancellationToken.None);

        var outcome = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], Purpose: CertificatePurpose.Client,
            Names: new NameExpectations(Host: "build.example.internal", Uri: "spiffe://example.internal/ci"), Revocation: RevocationMode.None));

        Assert.True(outcome.IsValid, string.Join("\n", outcome.Failures));
        Assert.Equal(3, outcome.Path.Count);
        Assert.Equal("CN=build-agent", outcome.Path[0].Subject);
        Assert.Equal(1, outcome.CandidatePaths);
        foreach (var name in new[] { CheckNames.PathBuilding, CheckNames.Signature, CheckNames.Validity, CheckNames.BasicConstraints, CheckNames.Policy, CheckNames.Purpose, CheckNames.Name, CheckNames.Revocation })
        {
            Assert.Contains(outcome.Checks, c => c.Check == name);
        }

        Assert.Equal(CheckStatus.Skipped, outcome.Checks.Single(c => c.Check == CheckNames.Revocation).Status);
    }

    [Fact]
    public async Task Verify_AfterExpiry_FailsValidityOnTheLeaf()
    {
        var (ca, root, intermediate) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(lifetime: TimeSpan.FromHours(1)), CancellationToken.None);
        var outcome = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], At: time.GetUtcNow().AddHours(2), Revocation: RevocationMode.None));

        Assert.False(outcome.IsValid);
        var failure = Assert.Single(outcome.Failures);
        Assert.Equal(CheckNames.Validity, failure.Check);
        Assert.Equal(0, failure.PathIndex);
        Assert.Contains("expired", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_MissingIntermediate_PathFailureNamesTheIssuer()
    {
        var (ca, root, _) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        var outcome = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [], [], Revocation: RevocationMode.None));

        var failure = Assert.Single(outcome.Failures);
        Assert.Equal(CheckNames.PathBuilding, failure.Check);
        Assert.Contains("Test CI Issuing CA", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_OtherCasRoot_NoPath()
    {
        var (ca, _, intermediate) = await CaAsync();
        var (_, otherRoot, _) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        // Same names, different keys: the other root must not be accepted as the issuer.
        var outcome = await VerifyAsync(new VerifyRequest(Leaf(issued), [otherRoot], [intermediate], [], Revocation: RevocationMode.None));
        Assert.False(outcome.IsValid);
        Assert.Contains(outcome.Failures, f => f.Check is CheckNames.PathBuilding or CheckNames.Signature);
    }

    [Fact]
    public async Task Verify_RevokedLeafWithCaCrls_RevocationFails_UnrevokedPasses()
    {
        var (ca, root, intermediate) = await CaAsync();
        using var victim = await ca.IssueAsync(ThrowawayCa.Request("victim"), CancellationToken.None);
        using var bystander = await ca.IssueAsync(ThrowawayCa.Request("bystander"), CancellationToken.None);
        await ca.RevokeAsync(new RevokeRequest(victim.Record.Serial, "keyCompromise"), CancellationToken.None);
        var intermediateCrl = await ca.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(1)), CancellationToken.None);
        var rootCrl = await ca.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(1)), CancellationToken.None);
        (byte[], string)[] crls = [(intermediateCrl.Der, "intermediate.crl"), (rootCrl.Der, "root.crl")];

        var revoked = await VerifyAsync(new VerifyRequest(Leaf(victim), [root], [intermediate], [], Revocation: RevocationMode.Crl, RawCrls: crls));
        var failure = Assert.Single(revoked.Failures);
        Assert.Equal(CheckNames.Revocation, failure.Check);
        Assert.Contains("keyCompromise", failure.Detail, StringComparison.Ordinal);

        var good = await VerifyAsync(new VerifyRequest(Leaf(bystander), [root], [intermediate], [], Revocation: RevocationMode.Crl, RawCrls: crls));
        Assert.True(good.IsValid, string.Join("\n", good.Failures));
        Assert.Equal(2, good.Checks.Count(c => c.Check == CheckNames.Revocation && c.Status == CheckStatus.Passed));
    }

    [Fact]
    public async Task Verify_NoCrlForIntermediate_HardFailsUnlessSoftFail()
    {
        var (ca, root, intermediate) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        var crl = await ca.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(1)), CancellationToken.None);
        (byte[], string)[] crls = [(crl.Der, "intermediate.crl")];

        var hard = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], Revocation: RevocationMode.Crl, RawCrls: crls));
        var failure = Assert.Single(hard.Failures);
        Assert.Equal(1, failure.PathIndex);
        Assert.Contains("--soft-fail", failure.Detail, StringComparison.Ordinal);

        var soft = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], Revocation: RevocationMode.Crl, SoftFail: true, RawCrls: crls));
        Assert.True(soft.IsValid);
        Assert.Contains(soft.Checks, c => c.Check == CheckNames.Revocation && c.Status == CheckStatus.Warning);
    }

    [Fact]
    public async Task Verify_ExpiredCrl_IsNotUsed()
    {
        var (ca, root, intermediate) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(lifetime: TimeSpan.FromDays(3)), CancellationToken.None);
        var crl = await ca.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromHours(1)), CancellationToken.None);
        var rootCrl = await ca.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(30)), CancellationToken.None);
        var outcome = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], At: time.GetUtcNow().AddHours(2),
            Revocation: RevocationMode.Crl, RawCrls: [(crl.Der, "stale.crl"), (rootCrl.Der, "root.crl")]));
        var failure = Assert.Single(outcome.Failures);
        Assert.Contains("stale.crl: expired", failure.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CertificateProfile.Client, CertificatePurpose.Server, false)]
    [InlineData(CertificateProfile.Server, CertificatePurpose.Client, false)]
    [InlineData(CertificateProfile.Mtls, CertificatePurpose.Server, true)]
    [InlineData(CertificateProfile.CodeSigning, CertificatePurpose.CodeSigning, true)]
    [InlineData(CertificateProfile.Mtls, CertificatePurpose.CodeSigning, false)]
    [InlineData(CertificateProfile.CodeSigning, CertificatePurpose.TimeStamping, false)]
    public async Task Verify_PurposeFollowsProfile(CertificateProfile profile, CertificatePurpose purpose, bool valid)
    {
        var (ca, root, intermediate) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request("p.example", profile), CancellationToken.None);
        var outcome = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], Purpose: purpose, Revocation: RevocationMode.None));
        Assert.Equal(valid, outcome.IsValid);
        if (!valid)
        {
            Assert.Equal(CheckNames.Purpose, Assert.Single(outcome.Failures).Check);
        }
    }

    [Fact]
    public async Task Verify_WrongHostAndIp_NameChecksFail()
    {
        var (ca, root, intermediate) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(sans: ["dns:*.apps.example.internal", "ip:10.0.0.7"]), CancellationToken.None);
        var leaf = Leaf(issued);

        var ok = await VerifyAsync(new VerifyRequest(leaf, [root], [intermediate], [], Names: new NameExpectations(Host: "api.apps.example.internal", IpAddress: "10.0.0.7"), Revocation: RevocationMode.None));
        Assert.True(ok.IsValid, string.Join("\n", ok.Failures));
        var bad = await VerifyAsync(new VerifyRequest(leaf, [root], [intermediate], [], Names: new NameExpectations(Host: "a.b.apps.example.internal", IpAddress: "10.0.0.8"), Revocation: RevocationMode.None));
        Assert.Equal(2, bad.Failures.Count(f => f.Check == CheckNames.Name));
    }

    [Theory]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "A.EXAMPLE.COM.", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("*.example.com", "a.b.example.com", false)]
    [InlineData("*.com", "example.com", false)]
    [InlineData("build.example.com", "build.example.com", true)]
    [InlineData("build.example.com", "evil-build.example.com", false)]
    public void HostMatches_Rfc6125(string pattern, string host, bool expected) =>
        Assert.Equal(expected, LeafChecks.HostMatches(pattern, host));

    [Fact]
    public async Task Verify_LeafTrustedDirectly_ValidSingleCertificatePath()
    {
        var (ca, root, _) = await CaAsync();
        var outcome = await VerifyAsync(new VerifyRequest(root, [root], [], [], Revocation: RevocationMode.None));
        Assert.True(outcome.IsValid);
        Assert.Single(outcome.Path);
        GC.KeepAlive(ca);
    }

    [Theory]
    [InlineData("superseded", true)]
    [InlineData("cessationOfOperation", true)]
    [InlineData("keyCompromise", false)]
    public async Task Verify_AtTimeBeforeRevocation_OnlyCompromiseReachesBack(string reason, bool validBefore)
    {
        var (ca, root, intermediate) = await CaAsync();
        using var issued = await ca.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        var signedAt = time.GetUtcNow().AddMinutes(10);
        time.Advance(TimeSpan.FromHours(2));
        await ca.RevokeAsync(new RevokeRequest(issued.Record.Serial, reason), CancellationToken.None);
        var crl = await ca.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(1)), CancellationToken.None);
        var rootCrl = await ca.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(1)), CancellationToken.None);
        (byte[], string)[] crls = [(crl.Der, "int.crl"), (rootCrl.Der, "root.crl")];

        // Today's CRL, judged at the earlier time (as a timestamped signature is): a routine
        // revocation afterwards does not matter, a key compromise does.
        var before = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], At: signedAt, Revocation: RevocationMode.Crl, RawCrls: crls));
        Assert.Equal(validBefore, before.IsValid);
        var now = await VerifyAsync(new VerifyRequest(Leaf(issued), [root], [intermediate], [], Revocation: RevocationMode.Crl, RawCrls: crls));
        Assert.False(now.IsValid);
        Assert.Equal(CheckNames.Revocation, Assert.Single(now.Failures).Check);
    }

    public void Dispose() => temp.Dispose();
}
