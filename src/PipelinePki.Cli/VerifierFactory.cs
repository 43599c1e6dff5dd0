using PipelinePki.Core.Validation;
using PipelinePki.Core.Validation.Ocsp;

namespace PipelinePki.Cli;

/// <summary>
/// Builds a verifier for one run, with CRL and OCSP over HTTP through the shared client factory.
/// The HTTP client is made on the first fetch only: most verifications use the CRLs they are given,
/// and building the client costs a noticeable share of a 20 ms process.
/// </summary>
internal sealed class VerifierFactory(TimeProvider time, Func<IHttpClientFactory> httpClients)
{
    public const string HttpClientName = "revocation";

    public CertificateVerifier Create(TimeSpan timeout)
    {
        // Even resolving the client factory (options, handler pipeline) costs milliseconds: only on the first fetch.
        var client = new Lazy<HttpClient>(() => httpClients().CreateClient(HttpClientName));
        return new CertificateVerifier(time, new LazyCrlFetcher(() => new HttpCrlFetcher(client.Value, timeout)), new LazyOcspTransport(() => new HttpOcspTransport(client.Value, timeout)));
    }

    private sealed class LazyCrlFetcher(Func<ICrlFetcher> create) : ICrlFetcher
    {
        private readonly Lazy<ICrlFetcher> inner = new(create);

        public Task<byte[]> FetchAsync(Uri location, CancellationToken cancellationToken) => inner.Value.FetchAsync(location, cancellationToken);
    }

    private sealed class LazyOcspTransport(Func<IOcspTransport> create) : IOcspTransport
    {
        private readonly Lazy<IOcspTransport> inner = new(create);

        public Task<byte[]> SendAsync(Uri responder, byte[] request, CancellationToken cancellationToken) => inner.Value.SendAsync(responder, request, cancellationToken);
    }
}
