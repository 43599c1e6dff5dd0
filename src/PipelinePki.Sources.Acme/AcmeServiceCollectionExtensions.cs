using System.Security.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PipelinePki.Sources.Acme;

/// <summary>Makes <see cref="AcmeSource"/> instances for the options of one run.</summary>
public sealed class AcmeSourceFactory(IHttpClientFactory httpClients, TimeProvider time, ILoggerFactory loggers)
{
    public const string HttpClientName = "acme";

    public AcmeSource Create(AcmeSourceOptions options)
    {
        options.Validate();
        return new AcmeSource(options, httpClients.CreateClient(HttpClientName), time, loggers);
    }
}

public static class AcmeServiceCollectionExtensions
{
    /// <summary>Registers the ACME source: one named HttpClient (TLS 1.2+, trust per request) and the factory.</summary>
    public static IServiceCollection AddAcmeSource(this IServiceCollection services)
    {
        services.AddSingleton<AcmeSourceFactory>();
        services.AddHttpClient(AcmeSourceFactory.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                SslOptions =
                {
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    RemoteCertificateValidationCallback = AcmeTrust.Validate,
                },
                // ACME answers with Location headers we read ourselves; following them would turn a POST into a GET.
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(15),
            })
            // The connection applies its own deadline per request; this is only a backstop.
            .ConfigureHttpClient(client => client.Timeout = TimeSpan.FromMinutes(2));
        return services;
    }
}
