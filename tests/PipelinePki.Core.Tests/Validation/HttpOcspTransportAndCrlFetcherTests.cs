using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation.Ocsp;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Http;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>The HTTP side of revocation checking: what goes on the wire, deadlines, size limits.</summary>
public sealed class HttpOcspTransportAndCrlFetcherTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private readonly TempDirectory temp = new();
    private readonly HttpClient http = new();
    private LoopbackPkiServer server = null!;

    public async Task InitializeAsync() => server = await LoopbackPkiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        http.Dispose();
        temp.Dispose();
    }

    [Fact]
    public async Task HttpCrlFetcher_ServedCrl_ReturnsExactBytesOfAParsableCrl()
    {
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        var crl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(1)), CancellationToken.None);
        var url = server.ServeCrl("/crl/intermediate.crl", crl.Der);

        var fetched = await new HttpCrlFetcher(http).FetchAsync(url, CancellationToken.None);

        Assert.Equal(crl.Der, fetched);
        Assert.Equal("1", PkiObjectReader.DescribeCrl(PkiObjectReader.ParseCrl(fetched, url.AbsoluteUri)).CrlNumber);
        Assert.Equal(1, server.RequestCount("/crl/intermediate.crl"));
        Assert.Contains("application/pkix-crl", server.Endpoint("/crl/intermediate.crl").LastRequest?.Accept, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpCrlFetcher_ChunkedBodyOverLimit_ThrowsLimitExceeded()
    {
        // Chunked: no Content-Length to refuse early, so only counting the bytes read can stop it.
        var url = server.ServeCrl("/big.crl", new byte[64 * 1024], chunked: true);

        var e = await Assert.ThrowsAsync<HttpRequestException>(
            () => new HttpCrlFetcher(http, maxBytes: 16 * 1024).FetchAsync(url, CancellationToken.None));

        Assert.Equal(HttpRequestError.ConfigurationLimitExceeded, e.HttpRequestError);
        Assert.Equal("CRL exceeds the 16 KiB limit; download stopped", e.Message);
    }

    [Fact]
    public async Task HttpCrlFetcher_DeclaredLengthOverLimit_RefusesBeforeReading()
    {
        var url = server.ServeCrl("/big.crl", new byte[64 * 1024]);

        var e = await Assert.ThrowsAsync<HttpRequestException>(
            () => new HttpCrlFetcher(http, maxBytes: 16 * 1024).FetchAsync(url, CancellationToken.None));

        Assert.Equal("CRL is 65536 bytes, over the 16 KiB limit; refusing to download it", e.Message);
    }

    [Fact]
    public async Task HttpCrlFetcher_ChunkedBodyExactlyAtLimit_IsAccepted()
    {
        var body = new byte[16 * 1024];
        Random.Shared.NextBytes(body);
        var url = server.ServeCrl("/edge.crl", body, chunked: true);

        var fetched = await new HttpCrlFetcher(http, maxBytes: body.Length).FetchAsync(url, CancellationToken.None);

        Assert.Equal(body, fetched);
    }

    [Fact]
    public async Task HttpCrlFetcher_MissingCrl_ThrowsWithStatusCode()
    {
        var e = await Assert.ThrowsAsync<HttpRequestException>(
            () => new HttpCrlFetcher(http).FetchAsync(server.UrlOf("/absent.crl"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.StartsWith("HTTP 404", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpCrlFetcher_DefaultLimit_Is64MiB() =>
        Assert.Equal(64L * 1024 * 1024, HttpCrlFetcher.DefaultMaxBytes);

    [Fact]
    public async Task HttpOcspTransport_Send_PostsOcspRequestWithOcspContentTypes()
    {
        var pki = await OcspTestPki.CreateAsync(temp.Combine("ca"), time);
        var responder = server.AddOcspResponder("/ocsp", pki.Intermediate, pki.Intermediate, pki.IntermediateKey, time);
        var leaf = await pki.IssueLeafAsync("good");
        responder.SetGood(leaf);

        var status = await new OcspChecker(new HttpOcspTransport(http), time)
            .CheckAsync(leaf, pki.Intermediate, responder.Url, time.GetUtcNow(), CancellationToken.None);

        Assert.Equal(PipelinePki.Core.Validation.RevocationState.Good, status.State);
        var request = Assert.NotNull(responder.LastRequest);
        Assert.Equal("POST", request.Method);
        Assert.Equal("application/ocsp-request", request.ContentType);
        Assert.Equal("application/ocsp-response", request.Accept);
    }

    [Fact]
    public async Task HttpOcspTransport_SlowServer_ThrowsTimeoutExceptionNamingTheDeadline()
    {
        var responder = await SlowResponderAsync();
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<TimeoutException>(
            () => new HttpOcspTransport(http, TimeSpan.FromMilliseconds(500)).SendAsync(responder.Url, [0x30, 0x00], CancellationToken.None));

        Assert.Equal("timed out after 0.5 s", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task HttpOcspTransport_CallerCancels_ThrowsOperationCanceledNotTimeout()
    {
        var responder = await SlowResponderAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new HttpOcspTransport(http, TimeSpan.FromSeconds(60)).SendAsync(responder.Url, [0x30, 0x00], cancel.Token));

        Assert.True(cancel.IsCancellationRequested);
        Assert.IsNotType<TimeoutException>(e.InnerException);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void HttpOcspTransport_NonPositiveTimeout_Throws(int seconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HttpOcspTransport(http, TimeSpan.FromSeconds(seconds)));

    private async Task<TestOcspResponder> SlowResponderAsync()
    {
        var pki = await OcspTestPki.CreateAsync(temp.Combine("ca"), time);
        var responder = server.AddOcspResponder("/ocsp", pki.Intermediate, pki.Intermediate, pki.IntermediateKey, time);
        responder.Delay = TimeSpan.FromSeconds(30);
        return responder;
    }
}
