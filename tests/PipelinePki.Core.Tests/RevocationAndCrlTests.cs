using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Encoding;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests;

public class RevocationAndCrlTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task RevokeThenCrl_OpenSslSeesSerialAndRejectsTheCertificate()
    {
        using var temp = new TempDirectory();
        var home = temp.Combine("ca");
        var authority = await ThrowawayCa.CreateAsync(home, time);
        using var good = await authority.IssueAsync(ThrowawayCa.Request("good", sans: "dns:good.example"), CancellationToken.None);
        using var bad = await authority.IssueAsync(ThrowawayCa.Request("bad", sans: "dns:bad.example"), CancellationToken.None);
        var goodFiles = IssuedCertificateWriter.Write(temp.Combine("good"), good);
        var badFiles = IssuedCertificateWriter.Write(temp.Combine("bad"), bad);

        var revoked = await authority.RevokeAsync(new RevokeRequest(bad.Record.Serial, "keyCompromise"), CancellationToken.None);
        Assert.Equal("revoked", revoked.Status);
        var crl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(7)), CancellationToken.None);
        var rootCrl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(30)), CancellationToken.None);
        var crlPath = temp.Combine("intermediate.crl");
        var rootCrlPath = temp.Combine("root.crl");
        await File.WriteAllTextAsync(crlPath, Pem.Encode("X509 CRL", crl.Der));
        await File.WriteAllTextAsync(rootCrlPath, Pem.Encode("X509 CRL", rootCrl.Der));

        var text = await OpenSsl.TextAsync("crl", crlPath);
        Assert.Contains($"Serial Number: {bad.Record.Serial}", text, StringComparison.Ordinal);
        Assert.DoesNotContain(good.Record.Serial, text, StringComparison.Ordinal);
        Assert.Contains("Key Compromise", text, StringComparison.Ordinal);
        Assert.Contains("X509v3 CRL Number", text, StringComparison.Ordinal);
        Assert.Contains("X509v3 Authority Key Identifier", text, StringComparison.Ordinal);
        Assert.Contains("Next Update", text, StringComparison.Ordinal);
        Assert.Contains("Version 2", text, StringComparison.Ordinal);

        var signature = await OpenSsl.RunAsync("crl", "-in", crlPath, "-noout", "-verify", "-CAfile", Path.Combine(home, "intermediate.pem"));
        Assert.Contains("verify OK", signature.Combined, StringComparison.Ordinal);
        var rootSignature = await OpenSsl.RunAsync("crl", "-in", rootCrlPath, "-noout", "-verify", "-CAfile", Path.Combine(home, "root.pem"));
        Assert.Contains("verify OK", rootSignature.Combined, StringComparison.Ordinal);

        // -crl_check_all needs a CRL for every CA on the path: the root's own CRL makes that possible.
        var rejected = await OpenSsl.VerifyAsync(badFiles.Root!, badFiles.Chain, badFiles.Certificate, "sslclient", "-crl_check_all", "-CRLfile", crlPath, "-CRLfile", rootCrlPath);
        Assert.NotEqual(0, rejected.ExitCode);
        Assert.Contains("certificate revoked", rejected.Combined, StringComparison.Ordinal);
        var accepted = await OpenSsl.VerifyAsync(goodFiles.Root!, goodFiles.Chain, goodFiles.Certificate, "sslclient", "-crl_check_all", "-CRLfile", crlPath, "-CRLfile", rootCrlPath);
        Assert.True(accepted.ExitCode == 0, accepted.ToString());
    }

    [Fact]
    public async Task RevokedIntermediate_AppearsOnRootCrl()
    {
        using var temp = new TempDirectory();
        var home = temp.Combine("ca");
        var authority = await ThrowawayCa.CreateAsync(home, time);
        var intermediate = authority.ListInventory().Single(r => r.Profile == "intermediate-ca");
        await authority.RevokeAsync(new RevokeRequest(intermediate.Serial, "cACompromise"), CancellationToken.None);

        var rootCrl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(30)), CancellationToken.None);
        var entry = Assert.Single(rootCrl.Info.Entries);
        Assert.Equal(intermediate.Serial, entry.Serial);
        Assert.Equal("cACompromise", entry.Reason);
        var intermediateCrl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(7)), CancellationToken.None);
        Assert.Empty(intermediateCrl.Info.Entries);
    }

    [Fact]
    public async Task CrlNumber_IncreasesPerIssuer_AndNextUpdateFollowsValidity()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        var first = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(7)), CancellationToken.None);
        time.Advance(TimeSpan.FromHours(1));
        var second = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(2)), CancellationToken.None);
        var root = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(2)), CancellationToken.None);

        Assert.Equal("1", first.Info.CrlNumber);
        Assert.Equal("2", second.Info.CrlNumber);
        Assert.Equal("1", root.Info.CrlNumber);
        Assert.Equal(TimeSpan.FromDays(2), second.Info.NextUpdate!.Value - second.Info.ThisUpdate);
    }

    [Fact]
    public async Task Revoke_UnknownSerial_BadInput_AndTwiceKeepsFirstReason()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        await Assert.ThrowsAsync<BadInputException>(() => authority.RevokeAsync(new RevokeRequest("0123456789ABCDEF", "superseded"), CancellationToken.None));
        await Assert.ThrowsAsync<UsageException>(() => authority.RevokeAsync(new RevokeRequest("not-hex", "superseded"), CancellationToken.None));

        using var issued = await authority.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        await Assert.ThrowsAsync<UsageException>(() => authority.RevokeAsync(new RevokeRequest(issued.Record.Serial, "becauseISaidSo"), CancellationToken.None));
        var first = await authority.RevokeAsync(new RevokeRequest(issued.Record.Serial.ToLowerInvariant(), "superseded"), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(10));
        var again = await authority.RevokeAsync(new RevokeRequest(issued.Record.Serial, "keyCompromise"), CancellationToken.None);
        Assert.Equal("superseded", again.RevocationReason);
        Assert.Equal(first.RevokedAt, again.RevokedAt);
    }

    [Fact]
    public async Task Status_CountsAndCrlFreshness()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        using var a = await authority.IssueAsync(ThrowawayCa.Request(lifetime: TimeSpan.FromHours(1)), CancellationToken.None);
        using var b = await authority.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        using var c = await authority.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        await authority.RevokeAsync(new RevokeRequest(c.Record.Serial, "superseded"), CancellationToken.None);
        await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromHours(2)), CancellationToken.None);
        time.Advance(TimeSpan.FromHours(3));

        var status = authority.GetStatus();
        Assert.Equal(new InventoryCounts(3, 1, 1, 1), status.Certificates);
        var crl = Assert.Single(status.Crls);
        Assert.Equal("intermediate", crl.Issuer);
        Assert.True(crl.Stale);
        Assert.Contains(status.Warnings, w => w.Contains("past its nextUpdate", StringComparison.Ordinal));
        Assert.Contains(status.Warnings, w => w.Contains("not encrypted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RotateIntermediate_NewKeyIssues_OldCertificatesStillVerifyWithArchivedChain()
    {
        using var temp = new TempDirectory();
        var home = temp.Combine("ca");
        var authority = await ThrowawayCa.CreateAsync(home, time);
        using var before = await authority.IssueAsync(ThrowawayCa.Request(sans: "dns:a.example"), CancellationToken.None);
        var beforeFiles = IssuedCertificateWriter.Write(temp.Combine("before"), before);

        var rotated = await authority.RotateIntermediateAsync(new RotateIntermediateRequest(TimeSpan.FromDays(180), null, ThrowawayCa.TestRequester), CancellationToken.None);
        var reopened = new LocalAuthority(LocalCaHome.Open(home), () => null, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalAuthority>.Instance);
        using var after = await reopened.IssueAsync(ThrowawayCa.Request(sans: "dns:b.example"), CancellationToken.None);
        var afterFiles = IssuedCertificateWriter.Write(temp.Combine("after"), after);

        Assert.Equal(rotated.SubjectKeyIdentifier, after.Record.IssuerKeyId);
        Assert.NotEqual(before.Record.IssuerKeyId, after.Record.IssuerKeyId);
        Assert.Equal(2, LocalCaHome.Open(home).Config.IntermediateGeneration);
        // The old intermediate and the TSA certificate it issued, each with its key.
        Assert.Equal(4, Directory.GetFiles(Path.Combine(home, "archive")).Length);
        Assert.True((await OpenSsl.VerifyAsync(afterFiles.Root!, afterFiles.Chain, afterFiles.Certificate, "sslclient")).ExitCode == 0);
        Assert.True((await OpenSsl.VerifyAsync(beforeFiles.Root!, beforeFiles.Chain, beforeFiles.Certificate, "sslclient")).ExitCode == 0);
        // A leaf from the new intermediate does not chain through the old one.
        Assert.NotEqual(0, (await OpenSsl.VerifyAsync(afterFiles.Root!, beforeFiles.Chain, afterFiles.Certificate, "sslclient")).ExitCode);
    }
}
