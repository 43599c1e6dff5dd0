using System.Numerics;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests;

/// <summary>Issuance by the embedded CA, judged by OpenSSL for every key type and profile.</summary>
public class LocalAuthorityIssuanceTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    public static TheoryData<string, string, string> ProfileMatrix()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var keyType in new[] { "ecdsa-p256", "ecdsa-p384", "rsa-3072", "rsa-4096", "ed25519" })
        {
            data.Add(keyType, "client", "sslclient");
            data.Add(keyType, "server", "sslserver");
            data.Add(keyType, "mtls", "sslclient");
            data.Add(keyType, "mtls", "sslserver");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ProfileMatrix))]
    public async Task Issue_EveryKeyTypeAndProfile_OpenSslVerifiesStrictlyForPurpose(string keyType, string profile, string purpose)
    {
        using var temp = new TempDirectory();
        var spec = KeySpec.Parse(keyType);
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time, spec);
        using var issued = await authority.IssueAsync(
            ThrowawayCa.Request("agent.example.internal", CertificateProfiles.Parse(profile), spec, sans: "dns:agent.example.internal"),
            CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);

        var result = await OpenSsl.VerifyAsync(files.Root!, files.Chain, files.Certificate, purpose);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(": OK", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("client", "sslserver")]
    [InlineData("server", "sslclient")]
    [InlineData("code-signing", "sslclient")]
    public async Task Issue_ProfileWithoutThatPurpose_OpenSslRejectsIt(string profile, string wrongPurpose)
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        using var issued = await authority.IssueAsync(ThrowawayCa.Request(profile: CertificateProfiles.Parse(profile), sans: "dns:a.example"), CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);

        var result = await OpenSsl.VerifyAsync(files.Root!, files.Chain, files.Certificate, wrongPurpose);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error 26", result.Combined, StringComparison.Ordinal); // X509_V_ERR_INVALID_PURPOSE
    }

    [Fact]
    public async Task Issue_Mtls_ExtensionsAsOpenSslReadsThem()
    {
        using var temp = new TempDirectory();
        var home = temp.Combine("ca");
        var authority = await ThrowawayCa.CreateAsync(home, time);
        using var issued = await authority.IssueAsync(
            ThrowawayCa.Request("build", CertificateProfile.Mtls, sans: ["uri:spiffe://example.internal/ci/build", "ip:127.0.0.1", "email:ci@example.internal", "dns:build.example.internal"]),
            CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);
        var text = await OpenSsl.TextAsync("x509", files.Certificate);

        Assert.Contains("Basic Constraints: critical", text, StringComparison.Ordinal);
        Assert.Contains("CA:FALSE", text, StringComparison.Ordinal);
        Assert.Contains("Key Usage: critical", text, StringComparison.Ordinal);
        Assert.Contains("Digital Signature", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Key Encipherment", text, StringComparison.Ordinal);
        Assert.Contains("TLS Web Client Authentication, TLS Web Server Authentication", text, StringComparison.Ordinal);
        Assert.Contains("URI:spiffe://example.internal/ci/build", text, StringComparison.Ordinal);
        Assert.Contains("IP Address:127.0.0.1", text, StringComparison.Ordinal);
        Assert.Contains("email:ci@example.internal", text, StringComparison.Ordinal);
        Assert.Contains("DNS:build.example.internal", text, StringComparison.Ordinal);
        Assert.Contains("Subject Key Identifier", text, StringComparison.Ordinal);
        Assert.Contains("Authority Key Identifier", text, StringComparison.Ordinal);
        Assert.Contains("ecdsa-with-SHA384", text, StringComparison.Ordinal);
        Assert.Contains("Subject: CN = build", text, StringComparison.Ordinal);

        // The leaf's AKI is the intermediate's SKI.
        var intermediate = await OpenSsl.TextAsync("x509", Path.Combine(home, "intermediate.pem"));
        var ski = SkiOf(intermediate);
        Assert.Contains(ski, text[text.IndexOf("Authority Key Identifier", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_RsaServer_AddsKeyEnciphermentAndCodeSigningGetsCodeSigningEku()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time, KeySpec.EcdsaP256);
        using var server = await authority.IssueAsync(ThrowawayCa.Request("s.example", CertificateProfile.Server, KeySpec.Rsa3072), CancellationToken.None);
        using var signer = await authority.IssueAsync(ThrowawayCa.Request("signer", CertificateProfile.CodeSigning), CancellationToken.None);
        var serverFiles = IssuedCertificateWriter.Write(temp.Combine("server"), server);
        var signerFiles = IssuedCertificateWriter.Write(temp.Combine("signer"), signer);

        var serverText = await OpenSsl.TextAsync("x509", serverFiles.Certificate);
        Assert.Contains("Digital Signature, Key Encipherment", serverText, StringComparison.Ordinal);
        // A server name given only as --name becomes the DNS SAN that TLS clients match.
        Assert.Contains("DNS:s.example", serverText, StringComparison.Ordinal);
        var signerText = await OpenSsl.TextAsync("x509", signerFiles.Certificate);
        Assert.Contains("Code Signing", signerText, StringComparison.Ordinal);
        Assert.DoesNotContain("Subject Alternative Name", signerText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_CaChain_RootAndIntermediateHaveCaExtensions()
    {
        using var temp = new TempDirectory();
        var home = temp.Combine("ca");
        await ThrowawayCa.CreateAsync(home, time, permittedDns: [".example.internal"]);
        var root = await OpenSsl.TextAsync("x509", Path.Combine(home, "root.pem"));
        var intermediate = await OpenSsl.TextAsync("x509", Path.Combine(home, "intermediate.pem"));

        Assert.Contains("CA:TRUE", root, StringComparison.Ordinal);
        Assert.Contains("Certificate Sign, CRL Sign", root, StringComparison.Ordinal);
        Assert.Contains("CA:TRUE, pathlen:0", intermediate, StringComparison.Ordinal);
        Assert.Contains("Name Constraints: critical", intermediate, StringComparison.Ordinal);
        Assert.Contains("DNS:.example.internal", intermediate, StringComparison.Ordinal);
        Assert.Contains("Subject: O = Test CI, CN = Test CI Issuing CA", intermediate, StringComparison.Ordinal);
        var selfCheck = await OpenSsl.RunAsync("verify", "-x509_strict", "-CAfile", Path.Combine(home, "root.pem"), Path.Combine(home, "intermediate.pem"));
        Assert.True(selfCheck.ExitCode == 0, selfCheck.ToString());
    }

    [Fact]
    public async Task Issue_SerialAndValidity_MeetTheProfileRules()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        var serials = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            using var issued = await authority.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
            var serial = BigInteger.Parse("0" + issued.Record.Serial, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(serial > 0);
            Assert.True(serial >= BigInteger.One << 64, "at least 64 random bits");
            Assert.True(issued.Record.Serial.Length / 2 <= 20, "at most 20 octets");
            Assert.True(serials.Add(issued.Record.Serial));

            var now = time.GetUtcNow();
            Assert.InRange(issued.Record.NotBefore, now.AddMinutes(-5).AddSeconds(-1), now);
            Assert.InRange(issued.Record.NotAfter, now.AddHours(24).AddSeconds(-1), now.AddHours(24));
        }
    }

    [Fact]
    public async Task Issue_TtlBeyondIntermediate_PolicyViolation()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time, intermediateLifetime: TimeSpan.FromDays(30));
        var error = await Assert.ThrowsAsync<PolicyViolationException>(() =>
            authority.IssueAsync(ThrowawayCa.Request(lifetime: TimeSpan.FromDays(31)), CancellationToken.None));
        Assert.Equal("ca-validity", error.Rule);
        Assert.Contains("--ttl 31d", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_AfterIntermediateExpired_PolicyViolation()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time, intermediateLifetime: TimeSpan.FromDays(2));
        time.Advance(TimeSpan.FromDays(3));
        var error = await Assert.ThrowsAsync<PolicyViolationException>(() => authority.IssueAsync(ThrowawayCa.Request(lifetime: TimeSpan.FromHours(1)), CancellationToken.None));
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dns:evil.example.com")]
    [InlineData("uri:spiffe://other.org/ci")]
    public async Task Issue_OutsideNameConstraints_PolicyViolation(string san)
    {
        using var temp = new TempDirectory();
        var home = temp.Combine("ca");
        await new LocalCaInitializer(time, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalCaInitializer>.Instance).InitializeAsync(
            new CaInitRequest(home, "NC", KeySpec.EcdsaP256, KeySpec.EcdsaP256, TimeSpan.FromDays(3650), TimeSpan.FromDays(365), false,
                ThrowawayCa.TestRequester, [".example.internal"], ["example.internal"]),
            () => null,
            CancellationToken.None);
        var authority = new LocalAuthority(LocalCaHome.Open(home), () => null, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalAuthority>.Instance);

        var error = await Assert.ThrowsAsync<PolicyViolationException>(() => authority.IssueAsync(ThrowawayCa.Request(sans: san), CancellationToken.None));
        Assert.Equal("name-constraints", error.Rule);

        // Inside the constraints it issues, and OpenSSL agrees the name constraints hold.
        using var ok = await authority.IssueAsync(ThrowawayCa.Request(sans: ["dns:build.example.internal", "uri:spiffe://example.internal/ci"]), CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), ok);
        var verdict = await OpenSsl.VerifyAsync(files.Root!, files.Chain, files.Certificate, "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
    }

    [Fact]
    public async Task Issue_WithOpenSslCsr_CertifiesThatKeyAndWritesNoKeyFile()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        var key = temp.Combine("client.key");
        var csrPath = temp.Combine("client.csr");
        var made = await OpenSsl.RunAsync("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-subj", "/CN=from-csr", "-addext", "subjectAltName=DNS:csr.example.internal", "-out", csrPath);
        Assert.True(made.ExitCode == 0, made.ToString());

        var request = ThrowawayCa.Request(string.Empty) with
        {
            CertificationRequest = new CertificationRequestInput(await File.ReadAllBytesAsync(csrPath), csrPath),
        };
        using var issued = await authority.IssueAsync(request, CancellationToken.None);
        Assert.Null(issued.PrivateKey);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);
        Assert.Null(files.PrivateKey);
        Assert.False(File.Exists(temp.Combine("out", "key.pem")));
        Assert.Equal("CN=from-csr", issued.Record.Subject);
        Assert.Equal(["dns:csr.example.internal"], issued.Record.SubjectAlternativeNames);
        Assert.Equal("ecdsa-p256", issued.Record.KeyType);

        // The certificate's public key is the CSR's key: OpenSSL pairs it with the private key.
        var certKey = await OpenSsl.RunAsync("x509", "-in", files.Certificate, "-noout", "-pubkey");
        var privKey = await OpenSsl.RunAsync("pkey", "-in", key, "-pubout");
        Assert.Equal(privKey.StandardOutput, certKey.StandardOutput);
        var verdict = await OpenSsl.VerifyAsync(files.Root!, files.Chain, files.Certificate, "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
    }

    [Fact]
    public async Task Issue_TamperedCsr_BadInput()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        var csrPath = temp.Combine("client.csr");
        await OpenSsl.RunAsync("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", temp.Combine("k"),
            "-subj", "/CN=honest", "-outform", "DER", "-out", csrPath);
        var der = await File.ReadAllBytesAsync(csrPath);
        var at = IndexOf(der, "honest"u8.ToArray());
        der[at] = (byte)'H';

        var request = ThrowawayCa.Request(string.Empty) with { CertificationRequest = new CertificationRequestInput(der, csrPath) };
        var error = await Assert.ThrowsAsync<BadInputException>(() => authority.IssueAsync(request, CancellationToken.None));
        Assert.Contains("signature does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Issue_EncryptedCa_WrongPassphraseIsBadInput_RightOneIssues()
    {
        using var temp = new TempDirectory();
        var home = temp.Combine("ca");
        await ThrowawayCa.CreateAsync(home, time, passphrase: "the right passphrase");
        Assert.Contains("ENCRYPTED PRIVATE KEY", await File.ReadAllTextAsync(Path.Combine(home, "intermediate.key.pem")), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(home, "root.key.pem")));

        var wrong = new LocalAuthority(LocalCaHome.Open(home), () => "not it at all".AsMemory(), time, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalAuthority>.Instance);
        await Assert.ThrowsAsync<BadInputException>(() => wrong.IssueAsync(ThrowawayCa.Request(), CancellationToken.None));
        var right = new LocalAuthority(LocalCaHome.Open(home), () => "the right passphrase".AsMemory(), time, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalAuthority>.Instance);
        using var issued = await right.IssueAsync(ThrowawayCa.Request(), CancellationToken.None);
        Assert.Equal("valid", issued.Record.Status);
    }

    [Fact]
    public async Task Issue_RecordsRequesterInInventory()
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        using var issued = await authority.IssueAsync(ThrowawayCa.Request(sans: "dns:x.example"), CancellationToken.None);

        var row = Assert.Single(authority.ListInventory(), r => r.Serial == issued.Record.Serial);
        Assert.Equal("example/repo", row.RequestedBy.Repository);
        Assert.Equal("42", row.RequestedBy.RunId);
        Assert.Equal("abc123", row.RequestedBy.Commit);
        Assert.Equal("mtls", row.Profile);
        Assert.Equal("ecdsa-p384", row.KeyType);
        Assert.Equal(["dns:x.example"], row.SubjectAlternativeNames);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(issued.Certificate.RawData)), row.Sha256Fingerprint);
    }

    private static string SkiOf(string text)
    {
        var start = text.IndexOf("Subject Key Identifier", StringComparison.Ordinal);
        var line = text[start..].Split('\n')[1].Trim();
        return line;
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        throw new InvalidOperationException("needle not found");
    }
}
