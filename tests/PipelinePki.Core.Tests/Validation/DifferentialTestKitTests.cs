using Org.BouncyCastle.Asn1.X509;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Pki;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>
/// The differential scenarios are only as good as the test PKI that builds them: OpenSSL confirms
/// here that every extension and CRL feature is encoded as intended and that keys, certificates and
/// CRLs written as PEM are what OpenSSL reads back.
/// </summary>
public sealed class DifferentialTestKitTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly TestPki pki = new();

    public void Dispose() => temp.Dispose();

    [Theory]
    [InlineData(TestKeyAlgorithm.EcP256, "ecdsa-with-SHA256")]
    [InlineData(TestKeyAlgorithm.Rsa2048, "sha256WithRSAEncryption")]
    [InlineData(TestKeyAlgorithm.Ed25519, "ED25519")]
    public async Task Root_EachAlgorithm_OpenSslVerifiesAndKeyMatchesCertificate(TestKeyAlgorithm algorithm, string signatureAlgorithm)
    {
        var root = pki.Root("Kit Root").Algorithm(algorithm).Build();
        var certificate = root.WritePem(temp);
        var key = root.WriteKeyPem(temp);

        var verify = await OpenSsl.RunAsync("verify", "-x509_strict", "-no-CApath", "-no-CAstore", "-CAfile", certificate, certificate);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Signature Algorithm: {signatureAlgorithm}", await OpenSsl.TextAsync("x509", certificate), StringComparison.Ordinal);

        var fromCertificate = await OpenSsl.RunAsync("x509", "-in", certificate, "-noout", "-pubkey");
        var fromKey = await OpenSsl.RunAsync("pkey", "-in", key, "-pubout");
        Assert.True(fromKey.ExitCode == 0, fromKey.ToString());
        Assert.Equal(fromCertificate.StandardOutput, fromKey.StandardOutput);
    }

    [Fact]
    public async Task CaBuilder_EveryConstraintExtension_OpenSslPrintsIt()
    {
        var root = pki.Root("Kit Root").Build();
        var ca = pki.Intermediate("Kit CA", root)
            .Ca(pathLen: 2)
            .PermitDns("example.com").PermitIp("10.0.0.0/8").PermitUri(".example.com").PermitEmail("example.com").PermitDirectoryName("O=Allowed Org")
            .ExcludeDns("bad.example.com").ExcludeIp("10.1.0.0/16")
            .Policies(DifferentialScenarios.P1, TestPki.AnyPolicy)
            .PolicyMapping(DifferentialScenarios.P1, DifferentialScenarios.P2)
            .PolicyConstraints(requireExplicitPolicySkipCerts: 0, inhibitPolicyMappingSkipCerts: 1)
            .InhibitAnyPolicy(3)
            .CrlDistributionPoint(DifferentialScenarios.CrlUri, crlIssuer: DifferentialScenarios.IndirectIssuer, reasons: ReasonFlags.KeyCompromise)
            .FreshestCrl(DifferentialScenarios.DeltaUri)
            .UnknownExtension()
            .Serial(4242)
            .Build();

        var text = await OpenSsl.TextAsync("x509", ca.WritePem(temp));

        foreach (var expected in new[]
        {
            "Serial Number: 4242", "CA:TRUE, pathlen:2", "Certificate Sign, CRL Sign",
            "Permitted:", "DNS:example.com", "IP:10.0.0.0/255.0.0.0", "URI:.example.com", "email:example.com", "DirName:O = Allowed Org",
            "Excluded:", "DNS:bad.example.com", "IP:10.1.0.0/255.255.0.0",
            $"Policy: {DifferentialScenarios.P1}", "Policy: X509v3 Any Policy",
            "X509v3 Policy Mappings: critical", $"{DifferentialScenarios.P1}:{DifferentialScenarios.P2}",
            "X509v3 Policy Constraints: critical", "Require Explicit Policy:0", "Inhibit Policy Mapping:1",
            "X509v3 Inhibit Any Policy: critical", "X509v3 Freshest CRL",
            "CRL Issuer:", "DirName:CN = Differential Indirect CRL Issuer", "Reasons:", "Key Compromise",
            $"{TestPki.UnknownExtensionOid}: critical",
            "X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier",
        })
        {
            Assert.True(text.Contains(expected, StringComparison.Ordinal), $"\"{expected}\" missing from\n{text}");
        }
    }

    [Fact]
    public async Task LeafBuilder_NamesUsagesAndDeliberateOmissions_OpenSslPrintsThem()
    {
        var root = pki.Root("Kit Root").Build();
        var leaf = pki.Leaf("Kit Leaf", root)
            .Dns("www.example.com").Ip("192.0.2.1", "2001:db8::1").Uri("https://example.com/x").Email("dev@example.com").DirectoryName("O=Alias,CN=Other")
            .KeyUsage(KeyUsage.DigitalSignature | KeyUsage.KeyEncipherment, critical: false)
            .ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth, KeyPurposeID.id_kp_clientAuth)
            .NoSubjectKeyIdentifier().NoAuthorityKeyIdentifier()
            .ValidRelative(TimeSpan.FromDays(-2), TimeSpan.FromDays(-1))
            .Build();

        var text = await OpenSsl.TextAsync("x509", leaf.WritePem(temp));

        foreach (var expected in new[]
        {
            "CA:FALSE", "X509v3 Key Usage: \n", "Digital Signature, Key Encipherment", "TLS Web Server Authentication, TLS Web Client Authentication",
            "DNS:www.example.com", "IP Address:192.0.2.1", "IP Address:2001:DB8:0:0:0:0:0:1", "URI:https://example.com/x", "email:dev@example.com",
            "DirName:/O=Alias/CN=Other",
        })
        {
            Assert.True(text.Contains(expected, StringComparison.Ordinal), $"\"{expected}\" missing from\n{text}");
        }

        Assert.DoesNotContain("Key Identifier", text, StringComparison.Ordinal);
        Assert.True(leaf.Certificate.NotAfter < pki.Now.UtcDateTime);
    }

    [Fact]
    public async Task CrlBuilder_IndirectDeltaAndPartitionFeatures_OpenSslPrintsAndVerifiesThem()
    {
        var root = pki.Root("Kit Root").Build();
        var signer = pki.Leaf("Kit CRL Signer", root).KeyUsage(KeyUsage.CrlSign).Build();
        var victim = pki.Leaf("Kit Victim", root).Serial(777).Build();
        var crl = pki.Crl(root).SignedBy(signer)
            .Number(12).DeltaOf(11)
            .IssuingDistributionPoint(DifferentialScenarios.CrlUri, onlyUserCerts: true, onlySomeReasons: ReasonFlags.KeyCompromise | ReasonFlags.Superseded, indirect: true)
            .FreshestCrl(DifferentialScenarios.DeltaUri)
            .Revoke(victim, CrlReason.KeyCompromise, certificateIssuer: root.SubjectName)
            .Revoke(Org.BouncyCastle.Math.BigInteger.ValueOf(778))
            .Build();

        var path = crl.WritePem(temp);
        var text = await OpenSsl.TextAsync("crl", path);

        foreach (var expected in new[]
        {
            "Issuer: CN = Kit CRL Signer", "X509v3 CRL Number: \n                12", "X509v3 Delta CRL Indicator: critical", "11",
            "X509v3 Issuing Distribution Point: critical", "Only User Certificates", "Indirect CRL", "Key Compromise, Superseded",
            "URI:" + DifferentialScenarios.CrlUri, "X509v3 Freshest CRL",
            "Serial Number: 0309", "X509v3 CRL Reason Code:", "X509v3 Certificate Issuer: critical", "DirName:/CN=Kit Root",
            "Serial Number: 030A",
        })
        {
            Assert.True(text.Contains(expected, StringComparison.Ordinal), $"\"{expected}\" missing from\n{text}");
        }

        var verify = await OpenSsl.RunAsync("crl", "-in", path, "-noout", "-verify", "-CAfile", signer.WritePem(temp));
        Assert.Contains("verify OK", verify.Combined, StringComparison.Ordinal);
        var wrong = await OpenSsl.RunAsync("crl", "-in", pki.Crl(root).SignedWith(TestKey.Generate()).Build().WritePem(temp, "forged.pem"), "-noout", "-verify", "-CAfile", root.WritePem(temp));
        Assert.Contains("verify failure", wrong.Combined, StringComparison.Ordinal);
    }

    [Fact]
    public void TamperedSignature_ChangesOnlyTheSignature()
    {
        var root = pki.Root("Kit Root").Build();
        var tampered = root.WithTamperedSignature();

        Assert.Equal(root.Certificate.GetTbsCertificate(), tampered.Certificate.GetTbsCertificate());
        Assert.NotEqual(root.Certificate.GetSignature(), tampered.Certificate.GetSignature());
        Assert.True(root.Certificate.IsSignatureValid(root.Key.Public));
        Assert.False(tampered.Certificate.IsSignatureValid(root.Key.Public));
    }

    [Fact]
    public void CrossAndRolloverCertificates_KeepSubjectAndKey()
    {
        var anchor = pki.Root("Kit Anchor").Build();
        var other = pki.Root("Kit Other").Build();
        var cross = pki.CrossCertificate(other, anchor).Build();
        var rollover = pki.RolloverCertificate(other, TestKey.Generate()).Build();

        Assert.Equal(other.SubjectName, cross.SubjectName);
        Assert.Equal(anchor.SubjectName, cross.IssuerName);
        Assert.Equal(other.Key.KeyIdentifier, cross.SubjectKeyIdentifier);
        Assert.True(cross.Certificate.IsSignatureValid(anchor.Key.Public));

        Assert.Equal(rollover.SubjectName, rollover.IssuerName);
        Assert.NotEqual(other.Key.KeyIdentifier, rollover.SubjectKeyIdentifier);
        Assert.True(rollover.Certificate.IsSignatureValid(other.Key.Public));
        Assert.False(rollover.Certificate.IsSignatureValid(rollover.Key.Public));
    }
}
