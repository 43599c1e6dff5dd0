using System.Formats.Asn1;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing;
using PipelinePki.Core.Signing.Cms;
using PipelinePki.TestKit;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Tests.Signing;

/// <summary>Detached CMS signatures, judged by <c>openssl cms -verify</c> and by our own verifier.</summary>
public class CmsTests
{
    private static readonly DateTimeOffset SigningTime = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    public static TheoryData<string> KeyTypes() => new("ecdsa-p256", "ecdsa-p384", "rsa-3072", "rsa-4096", "ed25519");

    [Theory]
    [InlineData("ecdsa-p256", "SHA256")]
    [InlineData("ecdsa-p384", "SHA384")]
    [InlineData("rsa-3072", "SHA256")]
    [InlineData("rsa-4096", "SHA384")]
    [InlineData("ed25519", "SHA512")]
    public void DigestFor_EveryKeyType_MatchesSignatureHashOrRfc8419(string keyType, string expected)
    {
        Assert.Equal(expected, CmsDetachedSigner.DigestFor(KeySpec.Parse(keyType)).Name);
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task SignAsync_EveryKeyType_OpenSslAndOurVerifierAccept(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, keyType);
        var signaturePath = await fixture.SignToFileAsync("sig.p7s");

        await fixture.AssertOpenSslVerdictAsync(signaturePath, fixture.ArtifactPath, accepted: true);
        Assert.True(BouncyCastleVerifies(await File.ReadAllBytesAsync(signaturePath), await File.ReadAllBytesAsync(fixture.ArtifactPath)));

        var parsed = CmsDetachedVerifier.Parse(await File.ReadAllBytesAsync(signaturePath), signaturePath);
        Assert.Equal(CmsDetachedSigner.DigestFor(KeySpec.Parse(keyType)), parsed.DigestAlgorithm);
        Assert.Equal(SigningTime, parsed.SigningTime);
        Assert.Equal(fixture.Leaf, parsed.SignerCertificate);
        Assert.Null(parsed.TimestampToken);
        var digest = await ArtifactDigest.ComputeFileAsync(fixture.ArtifactPath, parsed.DigestAlgorithm, null, CancellationToken.None);
        Assert.True(CmsDetachedVerifier.SignatureValid(parsed, digest, out var problem), problem);
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task SignAsync_ArtifactByteFlipped_OpenSslAndOurVerifierReject(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, keyType);
        var signaturePath = await fixture.SignToFileAsync("sig.p7s");
        var tampered = temp.Combine("tampered.bin");
        var bytes = await File.ReadAllBytesAsync(fixture.ArtifactPath);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(tampered, bytes);

        await fixture.AssertOpenSslVerdictAsync(signaturePath, tampered, accepted: false);
        Assert.False(BouncyCastleVerifies(await File.ReadAllBytesAsync(signaturePath), bytes));

        var parsed = CmsDetachedVerifier.Parse(await File.ReadAllBytesAsync(signaturePath), signaturePath);
        var digest = await ArtifactDigest.ComputeFileAsync(tampered, parsed.DigestAlgorithm, null, CancellationToken.None);
        Assert.False(CmsDetachedVerifier.SignatureValid(parsed, digest, out var problem));
        Assert.Contains("does not match the signed messageDigest", problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task SignAsync_SignatureValueByteFlipped_OpenSslAndOurVerifierReject(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, keyType);
        var signaturePath = await fixture.SignToFileAsync("sig.p7s");
        var der = await File.ReadAllBytesAsync(signaturePath);
        der[^2] ^= 0x01; // the signature value's OCTET STRING ends the DER when no unsigned attributes follow
        await File.WriteAllBytesAsync(signaturePath, der);

        await fixture.AssertOpenSslVerdictAsync(signaturePath, fixture.ArtifactPath, accepted: false);
        Assert.False(BouncyCastleVerifies(der, await File.ReadAllBytesAsync(fixture.ArtifactPath)));

        var parsed = CmsDetachedVerifier.Parse(der, signaturePath);
        var digest = await ArtifactDigest.ComputeFileAsync(fixture.ArtifactPath, parsed.DigestAlgorithm, null, CancellationToken.None);
        Assert.False(CmsDetachedVerifier.SignatureValid(parsed, digest, out var problem));
        Assert.Contains("signature over the signed attributes does not verify", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_Default_OpenSslPrintShowsSignedAttributes()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p384");
        var signaturePath = await fixture.SignToFileAsync("sig.p7s");

        var print = await OpenSsl.RunAsync("cms", "-cmsout", "-print", "-inform", "DER", "-in", signaturePath);

        Assert.True(print.ExitCode == 0, print.ToString());
        foreach (var expected in new[] { "contentType", "signingTime", "messageDigest", "id-smime-aa-signingCertificateV2", "ecdsa-with-SHA384", "sha384", "eContent: <ABSENT>" })
        {
            Assert.Contains(expected, print.StandardOutput, StringComparison.Ordinal);
        }

        Assert.Contains("UTCTIME:Mar  4 05:06:07 2026 GMT", print.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_SigningTimeAfter2049_UsesGeneralizedTime()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");
        var late = new DateTimeOffset(2051, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var der = await fixture.SignAsync(signingTime: late);

        var parsed = CmsDetachedVerifier.Parse(der, "sig");
        var value = parsed.SignedAttributes.Single(a => a.Oid == "1.2.840.113549.1.9.5").Values.Single();

        Assert.Equal((byte)UniversalTagNumber.GeneralizedTime, value[0]);
        Assert.Equal(late, parsed.SigningTime);
        Assert.True(CmsDetachedVerifier.SignatureValid(parsed, fixture.Digest, out var problem), problem);
    }

    [Fact]
    public async Task SignAsync_SignedAttributes_AreDerSortedSetOf()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");
        var parsed = CmsDetachedVerifier.Parse(await fixture.SignAsync(), "sig");

        Assert.Equal(0x31, parsed.SignedAttributesDer![0]);

        // A strict DER reader refuses a SET OF whose elements are not sorted.
        var set = new AsnReader(parsed.SignedAttributesDer, AsnEncodingRules.DER).ReadSetOf(skipSortOrderValidation: false);
        Assert.True(set.HasData);
        Assert.Equal(4, parsed.SignedAttributes.Count);
    }

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task Parse_OpenSslMadeDetachedSignature_OurVerifierAccepts(string keyType)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, keyType);
        var signaturePath = temp.Combine("openssl.p7s");
        var digestName = CmsDetachedSigner.DigestFor(KeySpec.Parse(keyType)).Name!.ToLowerInvariant();
        var sign = await OpenSsl.RunAsync(
            "cms", "-sign", "-binary", "-in", fixture.ArtifactPath, "-signer", fixture.Files.Certificate, "-inkey", fixture.Files.PrivateKey!,
            "-certfile", fixture.Files.Chain, "-outform", "DER", "-out", signaturePath, "-md", digestName);
        if (keyType == "ed25519")
        {
            // OpenSSL 3.0 cannot sign CMS with Ed25519 and signed attributes (openssl/openssl#11915,
            // #32248: "eddsa_digest_signverify_init: invalid digest"); BouncyCastle makes that one.
            Assert.NotEqual(0, sign.ExitCode);
            await File.WriteAllBytesAsync(signaturePath, BouncyCastleEd25519Signature(fixture));
        }
        else
        {
            Assert.True(sign.ExitCode == 0, sign.ToString());
        }

        var parsed = CmsDetachedVerifier.Parse(await File.ReadAllBytesAsync(signaturePath), signaturePath);
        var digest = await ArtifactDigest.ComputeFileAsync(fixture.ArtifactPath, parsed.DigestAlgorithm, null, CancellationToken.None);

        Assert.Equal(fixture.Leaf, parsed.SignerCertificate);
        Assert.True(CmsDetachedVerifier.SignatureValid(parsed, digest, out var problem), problem);
        digest[0] ^= 0x80;
        Assert.False(CmsDetachedVerifier.SignatureValid(parsed, digest, out _));
    }

    [Fact]
    public async Task Parse_OpenSslAttachedSignature_BadInputSaysDetachedExpected()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");
        var signaturePath = temp.Combine("attached.p7s");
        var sign = await OpenSsl.RunAsync(
            "cms", "-sign", "-nodetach", "-binary", "-in", fixture.ArtifactPath, "-signer", fixture.Files.Certificate,
            "-inkey", fixture.Files.PrivateKey!, "-outform", "DER", "-out", signaturePath);
        Assert.True(sign.ExitCode == 0, sign.ToString());

        var error = Assert.Throws<BadInputException>(() => CmsDetachedVerifier.Parse(File.ReadAllBytes(signaturePath), signaturePath));

        Assert.Contains(signaturePath, error.Message, StringComparison.Ordinal);
        Assert.Contains("detached", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 })]
    [InlineData(new byte[] { 0x04, 0x02, 0xAB })]
    public void Parse_Malformed_BadInputNamingSource(byte[] der)
    {
        var error = Assert.Throws<BadInputException>(() => CmsDetachedVerifier.Parse(der, "broken.p7s"));

        Assert.StartsWith("broken.p7s:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parse_Truncated_BadInputNamingSource()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");
        var der = await fixture.SignAsync();

        var error = Assert.Throws<BadInputException>(() => CmsDetachedVerifier.Parse(der[..(der.Length - 10)], "cut.p7s"));

        Assert.StartsWith("cut.p7s:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_WrongDigestAlgorithmForKey_UsageError()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ed25519");

        await Assert.ThrowsAsync<UsageException>(() => fixture.SignAsync(digestAlgorithm: HashAlgorithmName.SHA256));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SignAsync_WithTimestamp_EmbedsTokenOverSignatureValueAndOpenSslStillVerifies(bool wrapInResponse)
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "rsa-3072");
        byte[]? seenSignature = null;
        byte[]? token = null;
        var signaturePath = await fixture.SignToFileAsync("sig.p7s", (signature, _) =>
        {
            seenSignature = signature;
            token = FakeTimeStampToken(SHA256.HashData(signature));
            return Task.FromResult(wrapInResponse ? TimeStampResponse(0, token) : token);
        });

        var parsed = CmsDetachedVerifier.Parse(await File.ReadAllBytesAsync(signaturePath), signaturePath);
        Assert.Equal(seenSignature, parsed.SignatureValue);
        Assert.Equal(token, parsed.TimestampToken);
        Assert.True(CmsDetachedVerifier.SignatureValid(parsed, fixture.Digest, out var problem), problem);

        var print = await OpenSsl.RunAsync("cms", "-cmsout", "-print", "-inform", "DER", "-in", signaturePath);
        Assert.Contains("id-smime-aa-timeStampToken", print.StandardOutput, StringComparison.Ordinal);
        var openssl = await fixture.OpenSslVerifyAsync(signaturePath, fixture.ArtifactPath);
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
    }

    [Fact]
    public async Task SignAsync_TimestampForOtherData_RemoteFailure()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => fixture.SignAsync(
            timestamp: (_, _) => Task.FromResult(FakeTimeStampToken(new byte[32]))));

        Assert.Contains("message imprint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignAsync_TimestampAuthorityRejects_RemoteFailure()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => fixture.SignAsync(
            timestamp: (_, _) => Task.FromResult(TimeStampResponse(2, null))));

        Assert.Contains("PKIStatus 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignatureValid_SignerCertificateSwapped_SigningCertificateV2OrSignatureFails()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");
        var parsed = CmsDetachedVerifier.Parse(await fixture.SignAsync(), "sig");
        var intermediate = parsed.Certificates.Single(c => !c.Equals(fixture.Leaf) && !c.SubjectDN.Equivalent(c.IssuerDN));

        var swapped = parsed with { SignerCertificate = intermediate };

        Assert.False(CmsDetachedVerifier.SignatureValid(swapped, fixture.Digest, out var problem));
        Assert.Contains("does not verify with the signer certificate's key", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignatureValid_SigningCertificateV2ForOtherCertificate_Fails()
    {
        using var temp = new TempDirectory();
        await using var fixture = await Fixture.CreateAsync(temp, time, "ecdsa-p256");
        var parsed = CmsDetachedVerifier.Parse(await fixture.SignAsync(), "sig");
        var attributes = parsed.SignedAttributes
            .Select(a => a.Oid == "1.2.840.113549.1.9.16.2.47" ? a with { Values = [OtherCertificateEssId()] } : a)
            .ToList();

        // Only the parsed view changes: the signature still covers the original bytes, so this isolates the ESS check.
        Assert.False(CmsDetachedVerifier.SignatureValid(parsed with { SignedAttributes = attributes }, fixture.Digest, out var problem));
        Assert.Contains("signingCertificateV2", problem, StringComparison.Ordinal);
    }

    private static byte[] OtherCertificateEssId()
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        using (w.PushSequence())
        using (w.PushSequence())
        {
            w.WriteOctetString(new byte[32]);
        }

        return w.Encode();
    }

    /// <summary>BouncyCastle's CMS (an implementation independent of ours): whether it verifies the detached signature over the content.</summary>
    private static bool BouncyCastleVerifies(byte[] signature, byte[] content)
    {
        try
        {
            var cms = new Org.BouncyCastle.Cms.CmsSignedData(new Org.BouncyCastle.Cms.CmsProcessableByteArray(content), signature);
            var signer = cms.GetSignerInfos().GetSigners().Single();
            var certificate = cms.GetCertificates().EnumerateMatches(signer.SignerID).Single();
            return signer.Verify(certificate.GetPublicKey()); // the key, not the certificate: the fixed test signing time precedes issuance
        }
        catch (Org.BouncyCastle.Cms.CmsException)
        {
            return false;
        }
    }

    /// <summary>The shape of an RFC 3161 TimeStampToken with a TSTInfo carrying <paramref name="imprint"/> (SHA-256); unsigned.</summary>
    private static byte[] FakeTimeStampToken(byte[] imprint)
    {
        var tst = new AsnWriter(AsnEncodingRules.DER);
        using (tst.PushSequence())
        {
            tst.WriteInteger(1);
            tst.WriteObjectIdentifier("1.2.3.4");
            using (tst.PushSequence())
            {
                using (tst.PushSequence())
                {
                    tst.WriteObjectIdentifier("2.16.840.1.101.3.4.2.1");
                }

                tst.WriteOctetString(imprint);
            }

            tst.WriteInteger(7);
            tst.WriteGeneralizedTime(SigningTime);
        }

        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier("1.2.840.113549.1.7.2");
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
            using (w.PushSequence())
            {
                w.WriteInteger(3);
                using (w.PushSetOf())
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier("2.16.840.1.101.3.4.2.1");
                }

                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier("1.2.840.113549.1.9.16.1.4");
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                    {
                        w.WriteOctetString(tst.Encode());
                    }
                }

                using (w.PushSetOf())
                {
                }
            }
        }

        return w.Encode();
    }

    private static byte[] BouncyCastleEd25519Signature(Fixture fixture)
    {
        var pem = File.ReadAllText(fixture.Files.PrivateKey!);
        var key = Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(Convert.FromBase64String(
            string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)))));
        var generator = new Org.BouncyCastle.Cms.CmsSignedDataGenerator();
        generator.AddSignerInfoGenerator(new Org.BouncyCastle.Cms.SignerInfoGeneratorBuilder()
            .Build(new Org.BouncyCastle.Crypto.Operators.Asn1SignatureFactory("Ed25519", key), fixture.Leaf));
        generator.AddCertificate(fixture.Leaf);
        var content = new Org.BouncyCastle.Cms.CmsProcessableByteArray(File.ReadAllBytes(fixture.ArtifactPath));
        return generator.Generate(content, encapsulate: false).GetEncoded("DER");
    }

    private static byte[] TimeStampResponse(int status, byte[]? token)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteInteger(status);
            }

            if (token is not null)
            {
                w.WriteEncodedValue(token);
            }
        }

        return w.Encode();
    }

    /// <summary>A fresh CA, a code-signing certificate for one key type, its files, and a 1.5 MiB artifact.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private Fixture(TempDirectory temp, IssuedCertificate issued, IssuedFiles files, string artifactPath, byte[] digest)
        {
            Temp = temp;
            Issued = issued;
            Files = files;
            ArtifactPath = artifactPath;
            Digest = digest;
            Leaf = new BcCertificate(issued.Certificate.RawData);
        }

        public TempDirectory Temp { get; }

        public IssuedCertificate Issued { get; }

        public IssuedFiles Files { get; }

        public string ArtifactPath { get; }

        public byte[] Digest { get; }

        public BcCertificate Leaf { get; }

        public static async Task<Fixture> CreateAsync(TempDirectory temp, TimeProvider time, string keyType)
        {
            var spec = KeySpec.Parse(keyType);
            var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time, spec);
            var issued = await authority.IssueAsync(
                ThrowawayCa.Request("signer", CertificateProfile.CodeSigning, spec, sans: "email:ci@example.internal"), CancellationToken.None);
            var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);
            var artifact = new byte[(3 * 1024 * 1024 / 2) + 11];
            new Random(42).NextBytes(artifact);
            var artifactPath = temp.Combine("artifact.bin");
            await File.WriteAllBytesAsync(artifactPath, artifact);
            var digest = await ArtifactDigest.ComputeFileAsync(artifactPath, CmsDetachedSigner.DigestFor(spec), null, CancellationToken.None);
            return new Fixture(temp, issued, files, artifactPath, digest);
        }

        public Task<byte[]> SignAsync(
            HashAlgorithmName? digestAlgorithm = null,
            DateTimeOffset? signingTime = null,
            Func<byte[], CancellationToken, Task<byte[]>>? timestamp = null) =>
            new CmsDetachedSigner().SignAsync(
                new CmsSignRequest(
                    Digest,
                    digestAlgorithm ?? CmsDetachedSigner.DigestFor(Issued.PrivateKey!.Spec),
                    Issued.PrivateKey!,
                    Leaf,
                    Issued.Chain.Select(c => new BcCertificate(c.RawData)).ToList(),
                    signingTime ?? SigningTime,
                    timestamp),
                CancellationToken.None);

        public async Task<string> SignToFileAsync(string name, Func<byte[], CancellationToken, Task<byte[]>>? timestamp = null)
        {
            var path = Temp.Combine(name);
            await File.WriteAllBytesAsync(path, await SignAsync(timestamp: timestamp));
            return path;
        }

        /// <summary>
        /// OpenSSL's default purpose for cms -verify is S/MIME signing (emailProtection EKU); a
        /// code-signing certificate needs <c>-purpose any</c>. The chain is inside the signature.
        /// </summary>
        public Task<ProcessResult> OpenSslVerifyAsync(string signaturePath, string contentPath) =>
            OpenSsl.RunAsync(
                "cms", "-verify", "-binary", "-inform", "DER", "-in", signaturePath, "-content", contentPath,
                "-CAfile", Files.Root!, "-purpose", "any", "-out", "/dev/null");

        /// <summary>
        /// OpenSSL's verdict. OpenSSL 3.0 cannot verify Ed25519 CMS with signed attributes at all
        /// (it passes SHA-512 to the pure EdDSA verifier: "invalid digest"), so for Ed25519 this
        /// asserts that known refusal and BouncyCastle's CMS is the independent judge instead.
        /// </summary>
        public async Task AssertOpenSslVerdictAsync(string signaturePath, string contentPath, bool accepted)
        {
            var result = await OpenSslVerifyAsync(signaturePath, contentPath);
            if (Issued.PrivateKey!.Spec == KeySpec.Ed25519)
            {
                Assert.NotEqual(0, result.ExitCode);
                Assert.Contains("invalid digest", result.Combined, StringComparison.Ordinal);
            }
            else if (accepted)
            {
                Assert.True(result.ExitCode == 0, result.ToString());
                Assert.Contains("Verification successful", result.Combined, StringComparison.Ordinal);
            }
            else
            {
                Assert.NotEqual(0, result.ExitCode);
                Assert.Contains("Verification failure", result.Combined, StringComparison.Ordinal);
            }
        }

        public ValueTask DisposeAsync()
        {
            Issued.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
