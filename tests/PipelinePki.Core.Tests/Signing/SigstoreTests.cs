using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing;
using PipelinePki.Core.Signing.Sigstore;
using PipelinePki.Core.Signing.Timestamping;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests.Signing;

/// <summary>
/// Sigstore bundles judged by Sigstore's own verifier (npm @sigstore/verify, tests/sigstore/verify.mjs)
/// against the trusted root we write, and their timestamps by <c>openssl ts -verify</c>.
/// Node and tests/sigstore/node_modules are required (test.sh installs them): their absence fails.
/// </summary>
public class SigstoreTests
{
    private const string Identity = "https://ci.example.internal/example/repo/.github/workflows/build.yml@refs/heads/main";
    private const string IdentityRegex = "^https://ci\\.example\\.internal/example/repo/";

    public static TheoryData<string> SupportedKeyTypes() => new("ecdsa-p256", "ecdsa-p384", "rsa-3072", "rsa-4096");

    [Theory]
    [MemberData(nameof(SupportedKeyTypes))]
    public async Task SignAsync_SupportedKeyType_SigstoreVerifierAccepts(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, keyType);
        var bundlePath = await fixture.SignToFileAsync();

        var result = await Fixture.NodeVerifyAsync(bundlePath, fixture.ArtifactPath, fixture.TrustedRootPath, "--san", IdentityRegex);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"verified: {Identity}", result.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SupportedKeyTypes))]
    public async Task SignAsync_SupportedKeyType_BundleHasDesignDocShape(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, keyType);
        var json = await File.ReadAllBytesAsync(await fixture.SignToFileAsync());

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", root.GetProperty("mediaType").GetString());
        var material = root.GetProperty("verificationMaterial");
        Assert.Equal(fixture.Issued.Certificate.RawData, Convert.FromBase64String(material.GetProperty("certificate").GetProperty("rawBytes").GetString()!));
        Assert.False(material.TryGetProperty("x509CertificateChain", out _));
        Assert.Equal(0, material.GetProperty("tlogEntries").GetArrayLength());
        var timestamps = material.GetProperty("timestampVerificationData").GetProperty("rfc3161Timestamps");
        Assert.Equal(1, timestamps.GetArrayLength());
        var key = fixture.Key;
        var expectedAlgorithm = key.SignatureHash == HashAlgorithmName.SHA256 ? "SHA2_256" : "SHA2_384";
        var digest = root.GetProperty("messageSignature").GetProperty("messageDigest");
        Assert.Equal(expectedAlgorithm, digest.GetProperty("algorithm").GetString());
        Assert.Equal(fixture.Digests[key.SignatureHash], Convert.FromBase64String(digest.GetProperty("digest").GetString()!));

        var parsed = SigstoreBundle.Parse(json, "bundle.json");
        Assert.Equal(key.SignatureHash, parsed.DigestAlgorithm);
        Assert.Equal(fixture.Issued.Certificate.RawData, parsed.Certificate);
        Assert.Single(parsed.TimeStampResponses);
        Assert.True(VerifyWithCertificate(fixture.Issued.Certificate, parsed.ArtifactDigest, parsed.Signature, key.SignatureHash));
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("rsa-3072")]
    public async Task SignAsync_ArtifactByteFlipped_SigstoreVerifierRejects(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, keyType);
        var bundlePath = await fixture.SignToFileAsync();
        var tampered = temp.Combine("tampered.bin");
        var bytes = await File.ReadAllBytesAsync(fixture.ArtifactPath);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(tampered, bytes);

        var result = await Fixture.NodeVerifyAsync(bundlePath, tampered, fixture.TrustedRootPath, "--san", IdentityRegex);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("signature verification failed", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa-3072")]
    public async Task SignAsync_SignatureByteFlipped_SigstoreVerifierRejects(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, keyType);
        var bundle = await fixture.SignAsync();
        var signature = (byte[])bundle.Signature.Clone();
        signature[^4] ^= 0x01;
        var keptTimestamp = temp.Combine("kept-timestamp.sigstore.json");
        await File.WriteAllBytesAsync(keptTimestamp, (bundle with { Signature = signature }).ToJson());
        // Timestamped afresh, so only the signature check itself can catch it.
        var retimestamped = temp.Combine("retimestamped.sigstore.json");
        var response = await new LocalTimestampSource(fixture.Tsa).TimestampAsync(SHA256.HashData(signature), HashAlgorithmName.SHA256, CancellationToken.None);
        await File.WriteAllBytesAsync(retimestamped, (bundle with { Signature = signature, TimeStampResponses = [response] }).ToJson());

        var imprintMismatch = await Fixture.NodeVerifyAsync(keptTimestamp, fixture.ArtifactPath, fixture.TrustedRootPath, "--san", IdentityRegex);
        var badSignature = await Fixture.NodeVerifyAsync(retimestamped, fixture.ArtifactPath, fixture.TrustedRootPath, "--san", IdentityRegex);

        Assert.Equal(1, imprintMismatch.ExitCode);
        Assert.Contains("TIMESTAMP_ERROR", imprintMismatch.StandardError, StringComparison.Ordinal);
        Assert.Equal(1, badSignature.ExitCode);
        Assert.Contains("signature verification failed", badSignature.StandardError, StringComparison.Ordinal);
    }

    /// <summary>The verifier re-hashes the artifact with messageDigest.algorithm: a P-384 signature (over SHA-384) labelled SHA2_256 fails.</summary>
    [Fact]
    public async Task Bundle_P384SignatureLabelledSha256_SigstoreVerifierRejects()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, "ecdsa-p384");
        var bundle = await fixture.SignAsync();
        var bundlePath = temp.Combine("mislabelled.sigstore.json");
        await File.WriteAllBytesAsync(
            bundlePath,
            (bundle with { DigestAlgorithm = HashAlgorithmName.SHA256, ArtifactDigest = fixture.Digests[HashAlgorithmName.SHA256] }).ToJson());

        var result = await Fixture.NodeVerifyAsync(bundlePath, fixture.ArtifactPath, fixture.TrustedRootPath, "--san", IdentityRegex);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("signature verification failed", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bundle_WithoutTimestamp_SigstoreVerifierRejects()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, "ecdsa-p256");
        var bundle = await fixture.SignAsync();
        var bundlePath = temp.Combine("untimestamped.sigstore.json");
        await File.WriteAllBytesAsync(bundlePath, (bundle with { TimeStampResponses = [] }).ToJson());

        var result = await Fixture.NodeVerifyAsync(bundlePath, fixture.ArtifactPath, fixture.TrustedRootPath, "--san", IdentityRegex);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("expected 1 timestamps, got 0", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_OtherIdentityRequired_SigstoreVerifierRejects()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, "ecdsa-p256");
        var bundlePath = await fixture.SignToFileAsync();

        var result = await Fixture.NodeVerifyAsync(
            bundlePath, fixture.ArtifactPath, fixture.TrustedRootPath, "--san", "^https://ci\\.example\\.internal/other/repo/");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("UNTRUSTED_SIGNER_ERROR", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_TrustedRootOfAnotherCa_SigstoreVerifierRejects()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, "ecdsa-p256");
        using var otherTemp = new TempDirectory();
        await using var other = await Fixture.CreateAsync(otherTemp, "ecdsa-p256");
        var bundlePath = await fixture.SignToFileAsync();

        var result = await Fixture.NodeVerifyAsync(bundlePath, fixture.ArtifactPath, other.TrustedRootPath, "--san", IdentityRegex);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("TIMESTAMP_ERROR", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("rsa-3072")]
    public async Task SignAsync_Timestamp_OpenSslVerifiesOverSignatureBytes(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, keyType);
        var bundle = SigstoreBundle.Parse(await File.ReadAllBytesAsync(await fixture.SignToFileAsync()), "bundle.json");
        var signaturePath = temp.Combine("signature.bin");
        var responsePath = temp.Combine("tsr.der");
        await File.WriteAllBytesAsync(signaturePath, bundle.Signature);
        await File.WriteAllBytesAsync(responsePath, bundle.TimeStampResponses[0]);

        var accepted = await OpenSsl.RunAsync(
            "ts", "-verify", "-data", signaturePath, "-in", responsePath, "-CAfile", fixture.RootPemPath, "-untrusted", fixture.TsaChainPemPath);
        var artifactAsData = await OpenSsl.RunAsync(
            "ts", "-verify", "-data", fixture.ArtifactPath, "-in", responsePath, "-CAfile", fixture.RootPemPath, "-untrusted", fixture.TsaChainPemPath);

        Assert.True(accepted.ExitCode == 0 && accepted.Combined.Contains("Verification: OK", StringComparison.Ordinal), accepted.ToString());
        Assert.NotEqual(0, artifactAsData.ExitCode);
    }

    [Fact]
    public async Task SignAsync_Ed25519Key_ThrowsUsageExceptionPointingToCms()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, "ed25519");

        var error = await Assert.ThrowsAsync<UsageException>(() => fixture.SignAsync());

        Assert.Contains("--signature-format cms", error.Message, StringComparison.Ordinal);
        Assert.Contains("ed25519", error.Message, StringComparison.Ordinal);
        Assert.IsNotAssignableFrom<IDigestSigningKey>(fixture.Issued.PrivateKey);
    }

    [Fact]
    public void RequireSupportedKey_RsaPssKey_ThrowsUsageException()
    {
        using var key = new PssKey();

        var error = Assert.Throws<UsageException>(() => SigstoreSigner.RequireSupportedKey(key));

        Assert.Contains("--signature-format cms", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ecdsa-p256", "SHA256")]
    [InlineData("ecdsa-p384", "SHA256,SHA384")]
    [InlineData("rsa-3072", "SHA256")]
    [InlineData("rsa-4096", "SHA256,SHA384")]
    public void DigestsFor_KeyType_Sha256PlusKeysOwnHash(string keyType, string expected)
    {
        using var key = KeyGenerator.Generate(KeySpec.Parse(keyType));

        Assert.Equal(expected, string.Join(",", SigstoreSigner.DigestsFor(key).Select(h => h.Name)));
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa-3072")]
    [InlineData("rsa-4096")]
    public void SignDigest_PrecomputedHash_VerifiesAsSignatureOverMessage(string keyType)
    {
        using var key = (IDigestSigningKey)KeyGenerator.Generate(KeySpec.Parse(keyType));
        var message = System.Text.Encoding.UTF8.GetBytes("artifact bytes");
        using var hash = IncrementalHash.CreateHash(key.SignatureHash);
        hash.AppendData(message);

        var signature = key.SignDigest(hash.GetHashAndReset());

        Assert.True(VerifyMessage(key, message, signature));
        Assert.False(VerifyMessage(key, System.Text.Encoding.UTF8.GetBytes("other bytes"), signature));
        Assert.Throws<ArgumentException>(() => key.SignDigest(new byte[20]));
    }

    [Fact]
    public async Task ComputeFileAsync_SeveralHashes_MatchOneShotHashesInOneRead()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("artifact.bin");
        var content = new byte[(2 * 1024 * 1024) + 5];
        new Random(7).NextBytes(content);
        await File.WriteAllBytesAsync(path, content);
        var reports = new List<long>();

        var digests = await ArtifactDigest.ComputeManyFileAsync(
            path, [HashAlgorithmName.SHA256, HashAlgorithmName.SHA384], new SyncProgress(reports), CancellationToken.None);

        Assert.Equal(SHA256.HashData(content), digests[HashAlgorithmName.SHA256]);
        Assert.Equal(SHA384.HashData(content), digests[HashAlgorithmName.SHA384]);
        Assert.Equal([1024L * 1024, 2L * 1024 * 1024, content.Length], reports);
    }

    [Fact]
    public async Task ComputeFileAsync_MissingFile_ThrowsBadInputNamingIt()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("absent.bin");

        var error = await Assert.ThrowsAsync<BadInputException>(
            () => ArtifactDigest.ComputeManyFileAsync(path, [HashAlgorithmName.SHA256], null, CancellationToken.None));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.1+json\"}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"messageSignature\":{\"signature\":\"AQ==\",\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\"AQ==\"}},\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"AQ==\"}}}")]
    [InlineData("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"messageSignature\":{\"signature\":\"AQ==\"},\"verificationMaterial\":{\"x509CertificateChain\":{}}}")]
    public void Parse_Malformed_ThrowsBadInputNamingSource(string json)
    {
        var error = Assert.Throws<BadInputException>(() => SigstoreBundle.Parse(System.Text.Encoding.UTF8.GetBytes(json), "release.sigstore.json"));

        Assert.StartsWith("release.sigstore.json:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrustedRootWrite_CaAndTsaChains_MatchesSchemaShape()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, "ecdsa-p256");

        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(fixture.TrustedRootPath));
        var root = document.RootElement;

        Assert.Equal("application/vnd.dev.sigstore.trustedroot+json;version=0.1", root.GetProperty("mediaType").GetString());
        Assert.Equal(0, root.GetProperty("tlogs").GetArrayLength());
        Assert.Equal(0, root.GetProperty("ctlogs").GetArrayLength());
        var ca = root.GetProperty("certificateAuthorities")[0];
        var caChain = ca.GetProperty("certChain").GetProperty("certificates").EnumerateArray()
            .Select(c => Convert.FromBase64String(c.GetProperty("rawBytes").GetString()!)).ToList();
        Assert.Equal([fixture.Issued.Chain[0].RawData, fixture.Issued.Root!.RawData], caChain);
        Assert.Equal(fixture.Issued.Chain[0].GetNameInfo(X509NameType.SimpleName, false), ca.GetProperty("subject").GetProperty("commonName").GetString());
        Assert.Matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$", ca.GetProperty("validFor").GetProperty("start").GetString());
        var tsa = root.GetProperty("timestampAuthorities")[0];
        Assert.Equal(3, tsa.GetProperty("certChain").GetProperty("certificates").GetArrayLength());
    }

    private static bool VerifyWithCertificate(X509Certificate2 certificate, byte[] digest, byte[] signature, HashAlgorithmName hash)
    {
        using var ec = certificate.GetECDsaPublicKey();
        if (ec is not null)
        {
            return ec.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = certificate.GetRSAPublicKey()!;
        return rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1);
    }

    private static bool VerifyMessage(IDigestSigningKey key, byte[] message, byte[] signature)
    {
        if (key.Spec.Family == KeyAlgorithmFamily.Ecdsa)
        {
            using var ec = ECDsa.Create();
            ec.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
            return ec.VerifyData(message, signature, key.SignatureHash, DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
        return rsa.VerifyData(message, signature, key.SignatureHash, RSASignaturePadding.Pkcs1);
    }

    private sealed class SyncProgress(List<long> reports) : IProgress<long>
    {
        public void Report(long value) => reports.Add(value);
    }

    /// <summary>A stand-in for a key whose signatures are RSA-PSS (an HSM could offer one).</summary>
    private sealed class PssKey : IDigestSigningKey
    {
        private readonly RSA rsa = RSA.Create(3072);

        public KeySpec Spec => KeySpec.Rsa3072;

        public byte[] SubjectPublicKeyInfo => rsa.ExportSubjectPublicKeyInfo();

        // AlgorithmIdentifier { id-RSASSA-PSS } (parameters omitted: only the OID is inspected).
        public byte[] SignatureAlgorithmIdentifier => [0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];

        public HashAlgorithmName SignatureHash => HashAlgorithmName.SHA256;

        public byte[] Sign(ReadOnlySpan<byte> data) => rsa.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pss);

        public byte[] SignDigest(ReadOnlySpan<byte> digest) => rsa.SignHash(digest.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pss);

        public void Dispose() => rsa.Dispose();
    }

    /// <summary>A fresh CA (P-384) per test, a code-signing leaf of the given key type with a URI SAN, the CA's own TSA, an artifact, and the trusted root.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(TempDirectory temp, IssuedCertificate issued, TimestampAuthority tsa, string artifactPath, IReadOnlyDictionary<HashAlgorithmName, byte[]> digests)
        {
            Temp = temp;
            Issued = issued;
            Tsa = tsa;
            ArtifactPath = artifactPath;
            Digests = digests;
        }

        public TempDirectory Temp { get; }

        public IssuedCertificate Issued { get; }

        public TimestampAuthority Tsa { get; }

        public string ArtifactPath { get; }

        public IReadOnlyDictionary<HashAlgorithmName, byte[]> Digests { get; }

        public IDigestSigningKey Key => (IDigestSigningKey)Issued.PrivateKey!;

        public string TrustedRootPath => Temp.Combine("trusted_root.json");

        public string RootPemPath => Temp.Combine("root.pem");

        /// <summary>TSA certificate then intermediate, for <c>openssl ts -verify -untrusted</c>.</summary>
        public string TsaChainPemPath => Temp.Combine("tsa-chain.pem");

        public static async Task<Fixture> CreateAsync(TempDirectory temp, string keyType)
        {
            var now = DateTimeOffset.UtcNow;
            var time = new FakeTimeProvider(new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero));
            var spec = KeySpec.Parse(keyType);
            var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
            var issued = await authority.IssueAsync(
                ThrowawayCa.Request("signer", CertificateProfile.CodeSigning, spec, sans: $"uri:{Identity}"), CancellationToken.None);
            time.Advance(TimeSpan.FromMinutes(1));
            var tsa = authority.OpenTimestampAuthority();

            var artifact = new byte[(3 * 1024 * 1024 / 2) + 11];
            new Random(42).NextBytes(artifact);
            var artifactPath = temp.Combine("artifact.bin");
            await File.WriteAllBytesAsync(artifactPath, artifact);
            var digests = await ArtifactDigest.ComputeManyFileAsync(
                artifactPath, [HashAlgorithmName.SHA256, HashAlgorithmName.SHA384], null, CancellationToken.None);
            var fixture = new Fixture(temp, issued, tsa, artifactPath, digests);

            var intermediate = issued.Chain[0].RawData;
            var root = issued.Root!.RawData;
            var tsaCertificate = tsa.Certificate.GetEncoded();
            await File.WriteAllBytesAsync(fixture.TrustedRootPath, SigstoreTrustedRoot.Write([intermediate, root], [tsaCertificate, intermediate, root]));
            await File.WriteAllTextAsync(fixture.RootPemPath, Pem(root));
            await File.WriteAllTextAsync(fixture.TsaChainPemPath, Pem(tsaCertificate) + Pem(intermediate));
            return fixture;
        }

        public Task<SigstoreBundle> SignAsync() =>
            SigstoreSigner.CreateAsync(
                new SigstoreSignRequest(Issued.PrivateKey!, Digests, Issued.Certificate.RawData, new LocalTimestampSource(Tsa)),
                CancellationToken.None);

        public async Task<string> SignToFileAsync()
        {
            var path = Temp.Combine("artifact.sigstore.json");
            var bytes = await SigstoreSigner.SignAsync(
                new SigstoreSignRequest(Issued.PrivateKey!, Digests, Issued.Certificate.RawData, new LocalTimestampSource(Tsa)),
                CancellationToken.None);
            await File.WriteAllBytesAsync(path, bytes);
            return path;
        }

        public static async Task<ProcessResult> NodeVerifyAsync(string bundle, string artifact, string trustedRoot, params string[] options)
        {
            var script = Path.Combine(RepoRoot(), "tests", "sigstore", "verify.mjs");
            var modules = Path.Combine(RepoRoot(), "tests", "sigstore", "node_modules", "@sigstore", "verify");
            Assert.True(Directory.Exists(modules), $"{modules} is missing: run `npm ci --prefix tests/sigstore` (test.sh does).");
            return await ProcessRunner.RunAsync("node", [script, bundle, artifact, trustedRoot, .. options], timeout: TimeSpan.FromSeconds(60));
        }

        public ValueTask DisposeAsync()
        {
            Issued.Dispose();
            return ValueTask.CompletedTask;
        }

        private static string RepoRoot()
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "tests", "sigstore", "verify.mjs")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException($"no tests/sigstore/verify.mjs above {AppContext.BaseDirectory}");
        }

        private static string Pem(byte[] der) => new string(PemEncoding.Write("CERTIFICATE", der)) + "\n";
    }
}
