using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Validation;
using PipelinePki.Core.Validation.Ocsp;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Http;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>
/// <see cref="OcspChecker"/> over real HTTP against <see cref="TestOcspResponder"/> and against
/// OpenSSL's responder, and the test responder judged by OpenSSL's client.
/// </summary>
public sealed class OcspCheckerTests : IAsyncLifetime
{
    private const string OcspPath = "/ocsp";

    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly TempDirectory temp = new();
    private readonly HttpClient http = new();
    private OcspTestPki pki = null!;
    private LoopbackPkiServer server = null!;

    public enum Misbehaviour
    {
        None,
        DelegatedWithoutOcspSigning,
        DelegatedFromAnotherCa,
        TamperedSignature,
        WrongNonce,
        NoNonce,
        StaleNextUpdate,
        TryLater,
    }

    private DateTimeOffset Now => time.GetUtcNow();

    public async Task InitializeAsync()
    {
        pki = await OcspTestPki.CreateAsync(temp.Combine("ca"), time);
        server = await LoopbackPkiServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        http.Dispose();
        temp.Dispose();
    }

    [Fact]
    public async Task CheckAsync_GoodCertificate_ReturnsGoodSignedByIssuer()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Good, status.State);
        Assert.Equal("ocsp", status.Method);
        Assert.StartsWith($"{responder.Url.AbsoluteUri}: good (signed by the issuer", status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("nonce not echoed", status.Detail, StringComparison.Ordinal);
        Assert.Null(status.RevokedAt);
    }

    [Fact]
    public async Task CheckAsync_RevokedCertificate_ReturnsRevokedWithTimeAndReason()
    {
        var leaf = await pki.IssueLeafAsync("revoked");
        var responder = CaResponder();
        var revokedAt = WholeSeconds(Now - TimeSpan.FromMinutes(30));
        responder.SetRevoked(leaf, revokedAt, reason: 1);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Revoked, status.State);
        Assert.Equal(revokedAt, status.RevokedAt);
        Assert.Equal("keyCompromise", status.Reason);
        Assert.Contains("revoked at", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_RevokedWithoutReason_ReasonIsNull()
    {
        var leaf = await pki.IssueLeafAsync("revoked");
        var responder = CaResponder();
        responder.SetRevoked(leaf, Now - TimeSpan.FromMinutes(30));

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Revoked, status.State);
        Assert.Null(status.Reason);
        Assert.Contains("no reason given", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_UnknownCertificate_ReturnsUndeterminedStatusUnknown()
    {
        var leaf = await pki.IssueLeafAsync("stranger");
        var responder = CaResponder();

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "status unknown");
    }

    [Fact]
    public async Task CheckAsync_DelegatedResponderWithOcspSigning_ReturnsGood()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var (certificate, key) = pki.NewResponder(Now);
        var responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Good, status.State);
        Assert.Contains("signed by delegated responder CN=Test OCSP Responder, O=Test CI (id-pkix-ocsp-nocheck)", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_DelegatedResponderWithoutNoCheck_GoodButSaysResponderRevocationUnchecked()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var (certificate, key) = pki.NewResponder(Now, noCheck: false);
        var responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Good, status.State);
        Assert.Contains("own revocation was not checked", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_DelegatedResponderWithoutOcspSigningEku_ReturnsUndeterminedUnauthorized()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var (certificate, key) = pki.NewResponder(Now, ocspSigning: false);
        var responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response signed by an unauthorized responder");
        Assert.Contains("id-kp-OCSPSigning", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_ResponderCertificateFromAnotherCa_ReturnsUndeterminedUnauthorized()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var other = await OcspTestPki.CreateAsync(temp.Combine("other-ca"), time);
        // Same responder name, OCSPSigning and all: only the issuer differs.
        var (certificate, key) = other.NewResponder(Now, issuer: other.Intermediate, issuerKey: other.IntermediateKey);
        var responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response signed by an unauthorized responder");
        Assert.Contains("was not issued by the certificate's issuer", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_ResponderIssuedByRootInsteadOfIssuer_ReturnsUndeterminedUnauthorized()
    {
        var leaf = await pki.IssueLeafAsync("good");
        // Same CA hierarchy, but §4.2.2.2 wants the responder issued directly by the leaf's issuer.
        var (certificate, key) = pki.NewResponder(Now, issuer: pki.Root, issuerKey: pki.RootKey);
        var responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response signed by an unauthorized responder");
    }

    [Fact]
    public async Task CheckAsync_DelegatedResponderExpiredAtValidationTime_ReturnsUndetermined()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var (certificate, key) = pki.NewResponder(Now, notBeforeOffset: TimeSpan.FromDays(-3), lifetime: TimeSpan.FromDays(1));
        var responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "is not valid at the validation time");
    }

    [Fact]
    public async Task CheckAsync_ResponderSignerNotIncludedAndNotIssuer_ReturnsUndeterminedUnauthorized()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var (certificate, key) = pki.NewResponder(Now);
        var responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
        responder.IncludeSignerCertificate = false;
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "neither the issuer nor a certificate included in the response");
    }

    [Fact]
    public async Task CheckAsync_ResponderIdByKey_ReturnsGood()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.ResponderIdByKey = true;
        responder.IncludeSignerCertificate = false;
        responder.SetGood(leaf);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Good, status.State);
    }

    [Fact]
    public async Task CheckAsync_TamperedSignature_ReturnsUndeterminedBadSignature()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.Fault = OcspResponderFault.TamperedSignature;

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response signature does not verify");
    }

    [Fact]
    public async Task CheckAsync_WrongNonce_ReturnsUndetermined()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.NonceOverride = new byte[32];

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response nonce does not match the request");
    }

    [Fact]
    public async Task CheckAsync_NonceNotEchoed_AcceptsAnswerAndSaysSo()
    {
        var leaf = await pki.IssueLeafAsync("revoked");
        var responder = CaResponder();
        responder.SetRevoked(leaf, Now - TimeSpan.FromHours(2), reason: 4);
        responder.EchoNonce = false;

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Revoked, status.State);
        Assert.Equal("superseded", status.Reason);
        Assert.Contains("nonce not echoed", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_NextUpdateBeforeValidationTime_ReturnsUndeterminedStale()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.ThisUpdateOffset = TimeSpan.FromHours(-2);
        responder.NextUpdateAfter = TimeSpan.FromHours(1);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response is stale: nextUpdate");
    }

    [Fact]
    public async Task CheckAsync_NextUpdateWithinClockSkew_ReturnsGood()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.ThisUpdateOffset = TimeSpan.FromHours(-1);
        responder.NextUpdateAfter = TimeSpan.FromMinutes(58);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Good, status.State);
    }

    [Fact]
    public async Task CheckAsync_ThisUpdateBeyondSkewInFuture_ReturnsUndetermined()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.ThisUpdateOffset = TimeSpan.FromMinutes(10);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response is not yet valid: thisUpdate");
    }

    [Fact]
    public async Task CheckAsync_NoNextUpdateAndOldThisUpdate_ReturnsUndeterminedStale()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.NextUpdateAfter = null;
        responder.ThisUpdateOffset = TimeSpan.FromHours(-1);

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, "response is stale: no nextUpdate");
    }

    [Fact]
    public async Task CheckAsync_ValidationTimeDecidesFreshness_SameCachedResponseJudgedPerCall()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        var checker = Checker();

        var later = await checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now + TimeSpan.FromHours(3), CancellationToken.None);
        var now = await checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(later, responder.Url, "response is stale: nextUpdate");
        Assert.Equal(RevocationState.Good, now.State);
        Assert.Equal(1, responder.RequestCount);
    }

    [Theory]
    [InlineData(OcspResponderFault.TryLater, "responder answered tryLater")]
    [InlineData(OcspResponderFault.InternalError, "responder answered internalError")]
    [InlineData(OcspResponderFault.Unauthorized, "responder answered unauthorized")]
    [InlineData(OcspResponderFault.MalformedBytes, "malformed response")]
    public async Task CheckAsync_ResponderFault_ReturnsUndeterminedNamingIt(OcspResponderFault fault, string expected)
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.Fault = fault;

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(status, responder.Url, expected);
    }

    [Fact]
    public async Task CheckAsync_SlowResponderBeyondTimeout_ReturnsUndeterminedTimedOut()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.Delay = TimeSpan.FromSeconds(20);
        var clock = Stopwatch.StartNew();

        var status = await Checker(TimeSpan.FromSeconds(1)).CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.Equal($"{responder.Url.AbsoluteUri}: timed out after 1 s", status.Detail);
        Assert.Equal(RevocationState.Undetermined, status.State);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task CheckAsync_UnreachableResponder_ReturnsUndeterminedConnectionRefused()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var url = LoopbackPkiServer.UnreachableUrl();

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Undetermined, status.State);
        Assert.Equal($"{url.AbsoluteUri}: unreachable: connection refused", status.Detail);
    }

    [Fact]
    public async Task CheckAsync_HttpErrorStatus_ReturnsUndeterminedWithStatusCode()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var url = server.UrlOf("/no-responder-here");

        var status = await Checker().CheckAsync(leaf, pki.Intermediate, url, Now, CancellationToken.None);

        AssertUndetermined(status, url, "responder answered HTTP 404");
    }

    [Fact]
    public async Task CheckAsync_SameCertificateTwice_SendsOneRequestPerResponderAndSerial()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var second = await pki.IssueLeafAsync("second");
        var responder = CaResponder();
        var mirror = server.AddOcspResponder("/mirror", pki.Intermediate, pki.Intermediate, pki.IntermediateKey, time);
        responder.SetGood(leaf);
        responder.SetGood(second);
        mirror.SetGood(leaf);
        var checker = Checker();

        var first = await checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);
        var again = await checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);
        Assert.Equal(1, responder.RequestCount);

        await checker.CheckAsync(second, pki.Intermediate, responder.Url, Now, CancellationToken.None);
        await checker.CheckAsync(leaf, pki.Intermediate, mirror.Url, Now, CancellationToken.None);

        Assert.Equal(RevocationState.Good, first.State);
        Assert.Equal(first, again);
        Assert.Equal(2, responder.RequestCount);
        Assert.Equal(1, mirror.RequestCount);
        Assert.Equal(2, server.RequestCount(OcspPath));
    }

    [Fact]
    public async Task CheckAsync_FailureIsCachedToo_DeadResponderAskedOnce()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.Fault = OcspResponderFault.TryLater;
        var checker = Checker();

        await checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);
        var again = await checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        AssertUndetermined(again, responder.Url, "tryLater");
        Assert.Equal(1, responder.RequestCount);
    }

    [Fact]
    public async Task CheckAsync_ConcurrentCallers_ShareOneRequest()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.Delay = TimeSpan.FromMilliseconds(300);
        var checker = Checker();

        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None))));

        Assert.All(all, s => Assert.Equal(RevocationState.Good, s.State));
        Assert.Equal(1, responder.RequestCount);
    }

    [Fact]
    public async Task CheckAsync_CallerCancels_PropagatesAndDoesNotPoisonCache()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.Delay = TimeSpan.FromSeconds(30);
        var checker = Checker(TimeSpan.FromSeconds(60));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, cancel.Token));

        responder.Delay = TimeSpan.Zero;
        var status = await checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);
        Assert.Equal(RevocationState.Good, status.State);
        Assert.Equal(2, responder.RequestCount);
    }

    [Fact]
    public async Task CheckAsync_OtherCallerCancelsSharedRequest_ThisCallerStillGetsAnswer()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetGood(leaf);
        responder.Delay = TimeSpan.FromSeconds(1);
        var checker = Checker();
        using var cancel = new CancellationTokenSource();

        var impatient = checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, cancel.Token);
        var patient = checker.CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);
        await Task.Delay(200);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        Assert.Equal(RevocationState.Good, (await patient).State);
        Assert.Equal(2, responder.RequestCount);
    }

    [Fact]
    public async Task TestOcspResponder_GetWithBase64Request_AnswersLikePost()
    {
        var leaf = await pki.IssueLeafAsync("good");
        var responder = CaResponder();
        responder.SetRevoked(leaf, Now - TimeSpan.FromHours(1), reason: 1);
        var generator = new OcspReqGenerator();
        generator.AddRequest(new CertificateID(CertificateID.DigestSha1, pki.Intermediate, leaf.SerialNumber));
        var encoded = Uri.EscapeDataString(Convert.ToBase64String(generator.Generate().GetEncoded()));

        using var response = await http.GetAsync(new Uri($"{responder.Url.AbsoluteUri}/{encoded}"));

        response.EnsureSuccessStatusCode();
        Assert.Equal("application/ocsp-response", response.Content.Headers.ContentType?.MediaType);
        var ocsp = new OcspResp(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(OcspRespStatus.Successful, ocsp.Status);
        var single = Assert.Single(((BasicOcspResp)ocsp.GetResponseObject()).Responses);
        Assert.IsType<RevokedStatus>(single.GetCertStatus());
        Assert.Equal(1, responder.RequestCount);
    }

    [Fact]
    public async Task CheckAsync_OpenSslResponder_AgreesOnGoodRevokedAndUnknown()
    {
        var good = await pki.IssueLeafAsync("good");
        var revoked = await pki.IssueLeafAsync("revoked");
        var stranger = await pki.IssueLeafAsync("stranger");
        var revokedAt = WholeSeconds(Now - TimeSpan.FromHours(3));
        var index = temp.Combine("index.txt");
        await File.WriteAllLinesAsync(index, [OpenSslOcspResponder.IndexLine(good), OpenSslOcspResponder.IndexLine(revoked, revokedAt, "keyCompromise")]);
        await using var openssl = await OpenSslOcspResponder.StartAsync(index, pki.IntermediatePem, pki.IntermediatePem, pki.IntermediateKeyPem, requests: 3);
        var checker = Checker();

        var goodStatus = await checker.CheckAsync(good, pki.Intermediate, openssl.Url, DateTimeOffset.UtcNow, CancellationToken.None);
        var revokedStatus = await checker.CheckAsync(revoked, pki.Intermediate, openssl.Url, DateTimeOffset.UtcNow, CancellationToken.None);
        var strangerStatus = await checker.CheckAsync(stranger, pki.Intermediate, openssl.Url, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.True(goodStatus.State == RevocationState.Good, goodStatus.Detail + "\n" + openssl.Output);
        Assert.Contains("signed by the issuer", goodStatus.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("nonce not echoed", goodStatus.Detail, StringComparison.Ordinal);
        Assert.True(revokedStatus.State == RevocationState.Revoked, revokedStatus.Detail);
        Assert.Equal(revokedAt, revokedStatus.RevokedAt);
        Assert.Equal("keyCompromise", revokedStatus.Reason);
        AssertUndetermined(strangerStatus, openssl.Url, "status unknown");
    }

    [Fact]
    public async Task CheckAsync_OpenSslDelegatedResponder_ReturnsGood()
    {
        var good = await pki.IssueLeafAsync("good");
        var (certificate, key) = pki.NewResponder(DateTimeOffset.UtcNow);
        var signer = OcspTestPki.WritePem(temp.Combine("responder.pem"), certificate);
        var signerKey = OcspTestPki.WriteKeyPem(temp.Combine("responder.key"), key);
        var index = temp.Combine("index.txt");
        await File.WriteAllLinesAsync(index, [OpenSslOcspResponder.IndexLine(good)]);
        await using var openssl = await OpenSslOcspResponder.StartAsync(index, pki.IntermediatePem, signer, signerKey, requests: 1);

        var status = await Checker().CheckAsync(good, pki.Intermediate, openssl.Url, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.True(status.State == RevocationState.Good, status.Detail + "\n" + openssl.Output);
        Assert.Contains("delegated responder", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestOcspResponder_JudgedByOpenSslClient_ReportsGoodRevokedUnknown()
    {
        var good = await pki.IssueLeafAsync("good");
        var revoked = await pki.IssueLeafAsync("revoked");
        var stranger = await pki.IssueLeafAsync("stranger");
        var responder = CaResponder();
        responder.SetGood(good);
        responder.SetRevoked(revoked, Now - TimeSpan.FromHours(1), reason: 1);
        var goodPem = OcspTestPki.WritePem(temp.Combine("good.pem"), good);
        var revokedPem = OcspTestPki.WritePem(temp.Combine("revoked.pem"), revoked);
        var strangerPem = OcspTestPki.WritePem(temp.Combine("stranger.pem"), stranger);

        var result = await OpenSsl.RunAsync(
            "ocsp", "-issuer", pki.IntermediatePem, "-cert", goodPem, "-cert", revokedPem, "-cert", strangerPem,
            "-url", responder.Url.AbsoluteUri, "-CAfile", pki.RootPem, "-resp_text");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Response verify OK", result.Combined, StringComparison.Ordinal);
        Assert.Contains($"{goodPem}: good", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"{revokedPem}: revoked", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Reason: keyCompromise", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"{strangerPem}: unknown", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("WARNING", result.Combined, StringComparison.Ordinal);
    }

    /// <summary>
    /// The same misbehaving responder judged by OpenSSL's client and by ours: both must accept
    /// the same answers and refuse the same ones, for the same reason, so a test responder bug
    /// cannot hide behind a matching checker bug. OpenSSL only warns about stale times (exit 0);
    /// we refuse them.
    /// </summary>
    [Theory]
    [InlineData(Misbehaviour.None, "Response verify OK", true, null)]
    [InlineData(Misbehaviour.NoNonce, "WARNING: no nonce in response", true, null)]
    [InlineData(Misbehaviour.DelegatedWithoutOcspSigning, "missing ocspsigning usage", false, "unauthorized responder")]
    [InlineData(Misbehaviour.DelegatedFromAnotherCa, "root ca not trusted", false, "unauthorized responder")]
    [InlineData(Misbehaviour.TamperedSignature, "ocsp_verify:signature failure", false, "signature does not verify")]
    [InlineData(Misbehaviour.WrongNonce, "Nonce Verify error", false, "nonce does not match")]
    [InlineData(Misbehaviour.StaleNextUpdate, "WARNING: Status times invalid", true, "response is stale")]
    [InlineData(Misbehaviour.TryLater, "Responder Error: trylater (3)", false, "responder answered tryLater")]
    public async Task TestOcspResponder_Misbehaviour_OpenSslAndOcspCheckerAgree(Misbehaviour misbehaviour, string openSslSays, bool openSslExitsZero, string? weSay)
    {
        var leaf = await pki.IssueLeafAsync("good");
        var leafPem = OcspTestPki.WritePem(temp.Combine("leaf.pem"), leaf);
        var trusted = new List<string> { pki.RootPem };
        var untrusted = pki.IntermediatePem;
        TestOcspResponder responder;
        switch (misbehaviour)
        {
            case Misbehaviour.DelegatedWithoutOcspSigning:
            {
                var (certificate, key) = pki.NewResponder(Now, ocspSigning: false);
                responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
                break;
            }

            case Misbehaviour.DelegatedFromAnotherCa:
            {
                // OpenSSL gets everything needed to build the responder's chain to a trusted root,
                // so it can only refuse for the reason we refuse: wrong issuer.
                var other = await OcspTestPki.CreateAsync(temp.Combine("other-ca"), time);
                var (certificate, key) = other.NewResponder(Now, issuer: other.Intermediate, issuerKey: other.IntermediateKey);
                responder = server.AddOcspResponder(OcspPath, pki.Intermediate, certificate, key, time);
                var bundle = temp.Combine("roots.pem");
                await File.WriteAllTextAsync(bundle, await File.ReadAllTextAsync(pki.RootPem) + await File.ReadAllTextAsync(other.RootPem));
                trusted = [bundle];
                var intermediates = temp.Combine("intermediates.pem");
                await File.WriteAllTextAsync(intermediates, await File.ReadAllTextAsync(pki.IntermediatePem) + await File.ReadAllTextAsync(other.IntermediatePem));
                untrusted = intermediates;
                break;
            }

            default:
                responder = CaResponder();
                break;
        }

        responder.SetGood(leaf);
        switch (misbehaviour)
        {
            case Misbehaviour.TamperedSignature:
                responder.Fault = OcspResponderFault.TamperedSignature;
                break;
            case Misbehaviour.WrongNonce:
                responder.NonceOverride = new byte[32];
                break;
            case Misbehaviour.NoNonce:
                responder.EchoNonce = false;
                break;
            case Misbehaviour.StaleNextUpdate:
                responder.ThisUpdateOffset = TimeSpan.FromHours(-2);
                responder.NextUpdateAfter = TimeSpan.FromHours(1);
                break;
            case Misbehaviour.TryLater:
                responder.Fault = OcspResponderFault.TryLater;
                break;
        }

        var openssl = await OpenSsl.RunAsync(
            "ocsp", "-issuer", pki.IntermediatePem, "-cert", leafPem, "-url", responder.Url.AbsoluteUri,
            "-CAfile", trusted.Single(), "-verify_other", untrusted);
        var ours = await Checker().CheckAsync(leaf, pki.Intermediate, responder.Url, Now, CancellationToken.None);

        Assert.True(openssl.Combined.Contains(openSslSays, StringComparison.Ordinal), openssl.ToString());
        Assert.True((openssl.ExitCode == 0) == openSslExitsZero, openssl.ToString());
        if (weSay is null)
        {
            Assert.Contains($"{leafPem}: good", openssl.StandardOutput, StringComparison.Ordinal);
            Assert.True(ours.State == RevocationState.Good, ours.Detail);
        }
        else
        {
            AssertUndetermined(ours, responder.Url, weSay);
        }
    }

    private TestOcspResponder CaResponder() =>
        server.AddOcspResponder(OcspPath, pki.Intermediate, pki.Intermediate, pki.IntermediateKey, time);

    private OcspChecker Checker(TimeSpan? timeout = null) => new(new HttpOcspTransport(http, timeout), time);

    private static void AssertUndetermined(RevocationStatus status, Uri responder, string expected)
    {
        Assert.True(status.State == RevocationState.Undetermined, $"{status.State}: {status.Detail}");
        Assert.StartsWith(responder.AbsoluteUri + ": ", status.Detail, StringComparison.Ordinal);
        Assert.Contains(expected, status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', status.Detail);
        Assert.Null(status.RevokedAt);
    }

    private static DateTimeOffset WholeSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
