using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Oiw;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Tsp;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing.Timestamping;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Http;

namespace PipelinePki.Core.Tests.Signing;

public class TimestampTests
{
    private static readonly byte[] Artifact = "pipeline artifact: build 42\n"u8.ToArray();

    private static byte[] Request(byte[] imprint, string hashOid, bool certReq = true, long nonce = 0x1234_5678_9ABC)
    {
        var generator = new TimeStampRequestGenerator();
        generator.SetCertReq(certReq);
        return generator.Generate(hashOid, imprint, BigInteger.ValueOf(nonce)).GetEncoded();
    }

    private static async Task<string> WriteAsync(TimestampTestPki pki, string name, byte[] content)
    {
        var path = pki.Temp.Combine(name);
        await File.WriteAllBytesAsync(path, content);
        return path;
    }

    // ---- our TSA, judged by OpenSSL ----

    [Fact]
    public async Task Respond_ValidRequest_OpenSslParsesGrantedReplyWithWholeSecondGenTime()
    {
        using var pki = await TimestampTestPki.CreateAsync(fraction: TimeSpan.FromMilliseconds(678));
        var response = pki.NewAuthority().Respond(Request(SHA256.HashData(Artifact), NistSha256));
        var path = await WriteAsync(pki, "resp.der", response);

        var text = await OpenSsl.RunAsync("ts", "-reply", "-in", path, "-text");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("Status: Granted.", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"Policy OID: {TimestampTestPki.Policy}", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Nonce: 0x123456789ABC", text.StandardOutput, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"Time stamp: \w{3} +\d+ \d\d:\d\d:\d\d \d{4} GMT"), text.StandardOutput);
        var token = new TimeStampResponse(response).TimeStampToken;
        Assert.Matches(new Regex(@"^\d{14}Z$"), token.TimeStampInfo.TstInfo.GenTime.TimeString);
        var expected = pki.Time.GetUtcNow();
        Assert.Equal(expected.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "Z", token.TimeStampInfo.TstInfo.GenTime.TimeString);
        Assert.True(token.TimeStampInfo.SerialNumber.SignValue > 0 && token.TimeStampInfo.SerialNumber.BitLength >= 64);
        Assert.NotNull(token.SignedAttributes[PkcsObjectIdentifiers.IdAASigningCertificateV2]);
        Assert.Contains(token.GetCertificates().EnumerateMatches(null), c => c.Equals(pki.TsaCertificate));
    }

    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa-3072")]
    public async Task Respond_AnyKeyType_OpenSslVerifiesDataAndDigestAndRefusesFlippedByte(string keyType)
    {
        using var pki = await TimestampTestPki.CreateAsync(KeySpec.Parse(keyType));
        var imprint = SHA384.HashData(Artifact);
        var response = pki.NewAuthority().Respond(Request(imprint, NistSha384));
        var resp = await WriteAsync(pki, "resp.der", response);
        var data = await WriteAsync(pki, "artifact.bin", Artifact);
        var tampered = Artifact.ToArray();
        tampered[3] ^= 0x01;
        var bad = await WriteAsync(pki, "tampered.bin", tampered);

        var withData = await OpenSsl.RunAsync("ts", "-verify", "-data", data, "-in", resp, "-CAfile", pki.RootPem, "-untrusted", pki.UntrustedPem);
        var withDigest = await OpenSsl.RunAsync("ts", "-verify", "-digest", Convert.ToHexString(imprint), "-in", resp, "-CAfile", pki.RootPem, "-untrusted", pki.UntrustedPem);
        var withTampered = await OpenSsl.RunAsync("ts", "-verify", "-data", bad, "-in", resp, "-CAfile", pki.RootPem, "-untrusted", pki.UntrustedPem);

        Assert.True(withData.ExitCode == 0 && withData.StandardOutput.Contains("Verification: OK", StringComparison.Ordinal), withData.ToString());
        Assert.True(withDigest.ExitCode == 0 && withDigest.StandardOutput.Contains("Verification: OK", StringComparison.Ordinal), withDigest.ToString());
        Assert.True(withTampered.ExitCode != 0, withTampered.ToString());
        Assert.DoesNotContain("Verification: OK", withTampered.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Respond_TwoRequests_DistinctSerials()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var authority = pki.NewAuthority();
        var request = Request(SHA256.HashData(Artifact), NistSha256);

        var first = new TimeStampResponse(authority.Respond(request)).TimeStampToken.TimeStampInfo.SerialNumber;
        var second = new TimeStampResponse(authority.Respond(request)).TimeStampToken.TimeStampInfo.SerialNumber;

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Respond_CertReqFalse_TokenCarriesNoCertificates()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var response = pki.NewAuthority().Respond(Request(SHA256.HashData(Artifact), NistSha256, certReq: false));

        var token = new TimeStampResponse(response).TimeStampToken;

        Assert.Empty(token.GetCertificates().EnumerateMatches(null));
        var error = Assert.Throws<NotValidException>(() => TimestampVerifier.Verify(response, SHA256.HashData(Artifact), HashAlgorithmName.SHA256));
        Assert.Contains("certReq", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Respond_Sha1Request_RejectedWithBadAlgAndOpenSslShowsIt()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var response = pki.NewAuthority().Respond(Request(SHA1.HashData(Artifact), OiwObjectIdentifiers.IdSha1.Id));
        var path = await WriteAsync(pki, "resp.der", response);

        var parsed = new TimeStampResponse(response);
        var text = await OpenSsl.RunAsync("ts", "-reply", "-in", path, "-text");

        Assert.Equal((int)PkiStatus.Rejection, parsed.Status);
        Assert.Null(parsed.TimeStampToken);
        Assert.Equal(PkiFailureInfo.BadAlg, parsed.GetFailInfo()!.IntValue);
        Assert.Contains("unsupported hash algorithm 1.3.14.3.2.26", parsed.GetStatusString(), StringComparison.Ordinal);
        Assert.Contains("Status: Rejected", text.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Respond_Garbage_RejectedWithBadRequest()
    {
        using var pki = await TimestampTestPki.CreateAsync();

        var parsed = new TimeStampResponse(pki.NewAuthority().Respond("not a request"u8.ToArray()));

        Assert.Equal((int)PkiStatus.Rejection, parsed.Status);
        Assert.Equal(PkiFailureInfo.BadRequest, parsed.GetFailInfo()!.IntValue);
        Assert.Contains("malformed", parsed.GetStatusString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Respond_ImprintOfWrongLength_RejectedWithBadDataFormat()
    {
        using var pki = await TimestampTestPki.CreateAsync();

        var parsed = new TimeStampResponse(pki.NewAuthority().Respond(Request(SHA256.HashData(Artifact), NistSha512)));

        Assert.Equal((int)PkiStatus.Rejection, parsed.Status);
        Assert.Equal(PkiFailureInfo.BadDataFormat, parsed.GetFailInfo()!.IntValue);
    }

    [Fact]
    public async Task TsaCertificateFactory_Create_OpenSslSeesCriticalSoleTimeStampingAndVerifiesPurpose()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var chain = pki.Temp.Combine("intermediate.pem");
        await File.WriteAllTextAsync(chain, TimestampTestPki.Pem(pki.Intermediate));

        var text = await OpenSsl.TextAsync("x509", pki.TsaPem);
        var verify = await OpenSsl.VerifyAsync(pki.RootPem, chain, pki.TsaPem, "timestampsign");

        Assert.Matches(new Regex(@"X509v3 Extended Key Usage: critical\s+Time Stamping\s*\n"), text);
        Assert.Matches(new Regex(@"X509v3 Key Usage: critical\s+Digital Signature, Non Repudiation"), text);
        Assert.Contains("X509v3 Subject Key Identifier", text, StringComparison.Ordinal);
        Assert.Contains("X509v3 Authority Key Identifier", text, StringComparison.Ordinal);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    // ---- our client against a real OpenSSL TSA ----

    [Fact]
    public async Task RequestAsync_OpenSslTsa_ClientAcceptsAndVerifierVerifies()
    {
        using var pki = await TimestampTestPki.CreateAsync(KeySpec.EcdsaP256);
        var config = pki.Temp.Combine("tsa.cnf");
        var serial = pki.Temp.Combine("tsaserial");
        await File.WriteAllTextAsync(serial, "01\n");
        await File.WriteAllTextAsync(config, $"""
            [ tsa ]
            default_tsa = tsa_config1

            [ tsa_config1 ]
            serial = {serial}
            crypto_device = builtin
            signer_digest = sha256
            default_policy = 1.2.3.4.1
            digests = sha256, sha384, sha512
            accuracy = secs:1, millisecs:500, microsecs:100
            ordering = no
            tsa_name = no
            ess_cert_id_chain = no
            ess_cert_id_alg = sha256

            """);
        var counter = 0;
        await using var server = await LoopbackTimestampServer.StartAsync(async (query, ct) =>
        {
            var n = Interlocked.Increment(ref counter);
            var q = pki.Temp.Combine($"q{n}.der");
            var r = pki.Temp.Combine($"r{n}.der");
            await File.WriteAllBytesAsync(q, query, ct);
            var result = await OpenSsl.RunAsync("ts", "-reply", "-queryfile", q, "-signer", pki.TsaPem, "-inkey", pki.TsaKeyPem, "-config", config, "-out", r);
            return result.ExitCode == 0 ? await File.ReadAllBytesAsync(r, ct) : throw new InvalidOperationException(result.ToString());
        });
        using var http = new HttpClient();
        var imprint = SHA512.HashData(Artifact);

        var response = await new TimestampClient(http, TimeSpan.FromSeconds(30)).RequestAsync(server.Url, imprint, HashAlgorithmName.SHA512, CancellationToken.None);
        var verified = TimestampVerifier.Verify(response, imprint, HashAlgorithmName.SHA512);

        Assert.Equal("1.2.3.4.1", verified.PolicyOid);
        Assert.Equal(pki.TsaCertificate, verified.TsaCertificate);
        Assert.InRange(verified.GenTime, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(500) + TimeSpan.FromMicroseconds(100), verified.Accuracy);
        Assert.NotNull(verified.Nonce);
        Assert.Equal(1, server.RequestCount);
        Assert.Equal(TimestampClient.QueryMediaType, server.LastRequest!.Value.ContentType);
        Assert.Contains(TimestampClient.ReplyMediaType, server.LastRequest!.Value.Accept, StringComparison.Ordinal);
    }

    // ---- our TSA over HTTP with our client ----

    [Fact]
    public async Task RequestAsync_OurTsaOverHttp_RoundTripVerifies()
    {
        using var pki = await TimestampTestPki.CreateAsync(KeySpec.EcdsaP384);
        var authority = pki.NewAuthority();
        await using var server = await LoopbackTimestampServer.StartAsync(authority.Respond);
        using var http = new HttpClient();
        var imprint = SHA256.HashData(Artifact);

        var response = await new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, imprint, HashAlgorithmName.SHA256, CancellationToken.None);
        var verified = TimestampVerifier.Verify(response, imprint, HashAlgorithmName.SHA256);
        var request = new TimeStampRequest(server.LastRequest!.Value.Body);

        Assert.Equal((int)PkiStatus.Granted, new TimeStampResponse(response).Status); // the whole TimeStampResp, as Sigstore bundles keep it
        Assert.Equal(TimestampTestPki.Policy, verified.PolicyOid);
        Assert.Equal(pki.TsaCertificate, verified.TsaCertificate);
        Assert.Equal(2, verified.Certificates.Count);
        var expected = pki.Time.GetUtcNow();
        Assert.Equal(new DateTimeOffset(expected.Year, expected.Month, expected.Day, expected.Hour, expected.Minute, expected.Second, TimeSpan.Zero), verified.GenTime);
        Assert.True(request.CertReq);
        Assert.True(request.Nonce.BitLength > 32);
        Assert.Equal(request.Nonce.ToString(16).ToUpperInvariant(), verified.Nonce);
        Assert.Equal(TimestampClient.QueryMediaType, server.LastRequest!.Value.ContentType);
    }

    [Fact]
    public async Task RequestAsync_TsaRejectsSha1Request_RemoteFailureWithReason()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var authority = pki.NewAuthority();
        // The client never sends SHA-1, so the endpoint rewrites the request into one, as an old client would send.
        await using var server = await LoopbackTimestampServer.StartAsync(_ => authority.Respond(Request(SHA1.HashData(Artifact), OiwObjectIdentifiers.IdSha1.Id)));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, SHA256.HashData(Artifact), HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Equal(server.Url.ToString(), error.Endpoint);
        Assert.Contains(server.Url.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("rejection", error.Message, StringComparison.Ordinal);
        Assert.Contains("unsupported hash algorithm", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task RequestAsync_TsaGetsGarbage_RemoteFailureSaysMalformed()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var authority = pki.NewAuthority();
        await using var server = await LoopbackTimestampServer.StartAsync(query => authority.Respond(query[..^3]));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, SHA256.HashData(Artifact), HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Contains("malformed request", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestAsync_Sha1_ThrowsArgumentBeforeSending()
    {
        await using var server = await LoopbackTimestampServer.StartAsync(query => query);
        using var http = new HttpClient();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, SHA1.HashData(Artifact), HashAlgorithmName.SHA1, CancellationToken.None));

        Assert.Equal(0, server.RequestCount);
    }

    [Fact]
    public async Task RequestAsync_UnreachableUrl_RemoteFailureNamingUrl()
    {
        var url = LoopbackPkiServer.UnreachableUrl("/tsa");
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(url, SHA256.HashData(Artifact), HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Equal(url.ToString(), error.Endpoint);
        Assert.StartsWith(url.ToString(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task RequestAsync_SlowTsa_RemoteFailureTimedOut()
    {
        await using var server = await LoopbackTimestampServer.StartAsync(async (query, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(20), ct);
            return query;
        });
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromMilliseconds(300)).RequestAsync(server.Url, SHA256.HashData(Artifact), HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Contains("timed out after 0.3 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestAsync_TsaFailsWithHttp500_RemoteFailureWithStatus()
    {
        await using var server = await LoopbackTimestampServer.StartAsync((Func<byte[], byte[]>)(_ => throw new InvalidOperationException("TSA down")));
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, SHA256.HashData(Artifact), HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Contains("HTTP 500", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestAsync_WrongContentType_RemoteFailure()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var authority = pki.NewAuthority();
        await using var server = await LoopbackTimestampServer.StartAsync(authority.Respond);
        server.ReplyContentType = "text/html";
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, SHA256.HashData(Artifact), HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Contains("text/html", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestAsync_StaleResponseWithOtherNonce_Rejected()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var authority = pki.NewAuthority();
        var imprint = SHA256.HashData(Artifact);
        // A genuine, correctly signed response for the same imprint, but to an earlier request (another nonce): a replay.
        var stale = authority.Respond(Request(imprint, NistSha256, nonce: 42));
        await using var server = await LoopbackTimestampServer.StartAsync(_ => stale);
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, imprint, HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Contains("nonce", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestAsync_ResponseForOtherImprint_Rejected()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var authority = pki.NewAuthority();
        await using var server = await LoopbackTimestampServer.StartAsync(query =>
        {
            var asked = new TimeStampRequest(query);
            var generator = new TimeStampRequestGenerator();
            generator.SetCertReq(true);
            return authority.Respond(generator.Generate(NistSha256, SHA256.HashData("something else"u8), asked.Nonce).GetEncoded());
        });
        using var http = new HttpClient();

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() =>
            new TimestampClient(http, TimeSpan.FromSeconds(10)).RequestAsync(server.Url, SHA256.HashData(Artifact), HashAlgorithmName.SHA256, CancellationToken.None));

        Assert.Contains("message imprint does not match", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalTimestampSource_TimestampAsync_ReturnsVerifiableResponse()
    {
        using var pki = await TimestampTestPki.CreateAsync(KeySpec.Ed25519);
        ITimestampSource source = new LocalTimestampSource(pki.NewAuthority());
        var imprint = SHA384.HashData(Artifact);

        var response = await source.TimestampAsync(imprint, HashAlgorithmName.SHA384, CancellationToken.None);
        var verified = TimestampVerifier.Verify(response, imprint, HashAlgorithmName.SHA384);

        Assert.Equal(pki.TsaCertificate, verified.TsaCertificate);
        Assert.Equal((int)PkiStatus.Granted, new TimeStampResponse(response).Status);
    }

    [Fact]
    public async Task HttpTimestampSource_TimestampAsync_GoesThroughTheUrl()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        await using var server = await LoopbackTimestampServer.StartAsync(pki.NewAuthority().Respond);
        using var http = new HttpClient();
        ITimestampSource source = new HttpTimestampSource(new TimestampClient(http, TimeSpan.FromSeconds(10)), server.Url);
        var imprint = SHA256.HashData(Artifact);

        var response = await source.TimestampAsync(imprint, HashAlgorithmName.SHA256, CancellationToken.None);

        Assert.Equal(1, server.RequestCount);
        Assert.Equal(pki.TsaCertificate, TimestampVerifier.Verify(response, imprint, HashAlgorithmName.SHA256).TsaCertificate);
    }

    // ---- verifier ----

    [Fact]
    public async Task Verify_BareToken_Accepted()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var imprint = SHA256.HashData(Artifact);
        var response = pki.NewAuthority().Respond(Request(imprint, NistSha256));
        var token = new TimeStampResponse(response).TimeStampToken.GetEncoded();

        var verified = TimestampVerifier.Verify(token, imprint, HashAlgorithmName.SHA256);

        Assert.Equal(TimestampTestPki.Policy, verified.PolicyOid);
        Assert.Equal("123456789ABC", verified.Nonce);
    }

    [Fact]
    public async Task Verify_OtherImprint_NotValid()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var response = pki.NewAuthority().Respond(Request(SHA256.HashData(Artifact), NistSha256));

        var other = Assert.Throws<NotValidException>(() => TimestampVerifier.Verify(response, SHA256.HashData("other"u8), HashAlgorithmName.SHA256));
        var otherHash = Assert.Throws<NotValidException>(() => TimestampVerifier.Verify(response, SHA384.HashData(Artifact), HashAlgorithmName.SHA384));

        Assert.Contains("imprint does not match", other.Message, StringComparison.Ordinal);
        Assert.Contains("SHA256", otherHash.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_FlippedSignatureByte_NotValid()
    {
        using var pki = await TimestampTestPki.CreateAsync(KeySpec.EcdsaP256);
        var imprint = SHA256.HashData(Artifact);
        var response = pki.NewAuthority().Respond(Request(imprint, NistSha256));
        var signature = new TimeStampResponse(response).TimeStampToken.ToCmsSignedData().GetSignerInfos().GetSigners().Single().GetSignature();
        var at = response.AsSpan().IndexOf(signature);
        Assert.True(at > 0);
        var tampered = response.ToArray();
        tampered[at + signature.Length - 1] ^= 0x01; // last octet of s: the DER structure stays intact

        var error = Assert.Throws<NotValidException>(() => TimestampVerifier.Verify(tampered, imprint, HashAlgorithmName.SHA256));

        Assert.Contains("timestamp token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_SignerWithoutTimeStampingUsage_NotValid()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        using var key = KeyGenerator.Generate(KeySpec.EcdsaP256);
        var notTsa = CodeSigningCertificate(pki, key);
        var imprint = SHA256.HashData(Artifact);

        var error = Assert.Throws<NotValidException>(() => TimestampVerifier.Verify(HandMadeToken(key, notTsa, imprint, withEssCertId: true), imprint, HashAlgorithmName.SHA256));

        Assert.Contains("id-kp-timeStamping", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_TokenWithoutSigningCertificateAttribute_NotValid()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var imprint = SHA256.HashData(Artifact);

        var error = Assert.Throws<NotValidException>(() =>
            TimestampVerifier.Verify(HandMadeToken(pki.TsaKey, pki.TsaCertificate, imprint, withEssCertId: false), imprint, HashAlgorithmName.SHA256));

        Assert.Contains("signing certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_HandMadeTokenWithEssCertIdV2_Accepted()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var imprint = SHA256.HashData(Artifact);

        var verified = TimestampVerifier.Verify(HandMadeToken(pki.TsaKey, pki.TsaCertificate, imprint, withEssCertId: true), imprint, HashAlgorithmName.SHA256);

        Assert.Equal("7", verified.SerialNumber);
        Assert.Null(verified.Nonce);
    }

    private static Org.BouncyCastle.X509.X509Certificate CodeSigningCertificate(TimestampTestPki pki, ISigningKey key) =>
        CertificateFactory.CreateLeaf(
            pki.IntermediateKey, pki.Intermediate, key.SubjectPublicKeyInfo, key.Spec, CertificateFactory.LeafName("code signer"), [],
            CertificateProfile.CodeSigning, pki.Time.GetUtcNow().AddMinutes(-1), pki.Time.GetUtcNow().AddDays(1),
            CertificateFactory.NewSerialNumber(), new PublicationUrls());

    /// <summary>A token built without BouncyCastle's token generator, which refuses non-TSA certificates.</summary>
    private static byte[] HandMadeToken(ISigningKey key, Org.BouncyCastle.X509.X509Certificate signer, byte[] imprint, bool withEssCertId)
    {
        var now = DateTime.UtcNow;
        var tstInfo = new Org.BouncyCastle.Asn1.Tsp.TstInfo(
            new DerObjectIdentifier(TimestampTestPki.Policy),
            new Org.BouncyCastle.Asn1.Tsp.MessageImprint(new AlgorithmIdentifier(new DerObjectIdentifier(NistSha256), DerNull.Instance), imprint),
            DerInteger.ValueOf(7), new Asn1GeneralizedTime(now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond))), null, null, null, null, null);
        var builder = new SignerInfoGeneratorBuilder();
        if (withEssCertId)
        {
            var essCertId = new Org.BouncyCastle.Asn1.Ess.EssCertIDv2(SHA256.HashData(signer.GetEncoded()));
            var attribute = new Org.BouncyCastle.Asn1.Cms.Attribute(
                PkcsObjectIdentifiers.IdAASigningCertificateV2, new DerSet(new Org.BouncyCastle.Asn1.Ess.SigningCertificateV2(essCertId)));
            builder.WithSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(
                new Org.BouncyCastle.Asn1.Cms.AttributeTable(new Asn1EncodableVector(attribute))));
        }

        var generator = new CmsSignedDataGenerator();
        generator.AddSignerInfoGenerator(builder.Build(new KeySignatureFactory(key), signer));
        generator.AddCertificate(signer);
        return generator.Generate(new CmsProcessableByteArray(PkcsObjectIdentifiers.IdCTTstInfo, tstInfo.GetEncoded()), true).GetEncoded();
    }

    [Fact]
    public async Task Verify_RejectionResponse_NotValidWithStatusText()
    {
        using var pki = await TimestampTestPki.CreateAsync();
        var response = pki.NewAuthority().Respond("junk"u8.ToArray());

        var error = Assert.Throws<NotValidException>(() => TimestampVerifier.Verify(response, SHA256.HashData(Artifact), HashAlgorithmName.SHA256));

        Assert.Contains("malformed request", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_NotDer_BadInput()
    {
        Assert.Throws<BadInputException>(() => TimestampVerifier.Verify("hello"u8.ToArray(), SHA256.HashData(Artifact), HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task TimestampAuthority_NonTsaCertificate_Refused()
    {
        using var pki = await TimestampTestPki.CreateAsync();

        var error = Assert.Throws<NotValidException>(() =>
            new TimestampAuthority(pki.IntermediateKey, pki.Intermediate, [], TimestampTestPki.Policy, pki.Time));

        Assert.Contains("extended key usage", error.Message, StringComparison.Ordinal);
    }

    private static string NistSha256 => Org.BouncyCastle.Asn1.Nist.NistObjectIdentifiers.IdSha256.Id;

    private static string NistSha384 => Org.BouncyCastle.Asn1.Nist.NistObjectIdentifiers.IdSha384.Id;

    private static string NistSha512 => Org.BouncyCastle.Asn1.Nist.NistObjectIdentifiers.IdSha512.Id;
}
