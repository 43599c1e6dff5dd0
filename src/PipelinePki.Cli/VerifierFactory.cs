using PipelinePki.Core.Validation;
using PipelinePki.Core.Validation.Ocsp;

namespace PipelinePki.Cli;

/// <summary>Builds a verifier for one run, with CRL and OCSP over HTTP through the shared client factory.</summary>
internal sealed class VerifierFactory(TimeProvider time, IHttpClientFactory httpClients)
{
    public const string HttpClientName = "revocation";

    public CertificateVerifier Create(TimeSpan timeout)
    {
        var client = httpClients.CreateClient(HttpClientName);
        return new CertificateVerifier(time, new HttpCrlFetcher(client, timeout), new HttpOcspTransport(client, timeout));
    }
}
