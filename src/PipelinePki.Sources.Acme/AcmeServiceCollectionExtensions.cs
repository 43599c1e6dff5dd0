using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PipelinePki.Sources.Acme;

/// <summary>Makes <see cref="AcmeSource"/> instances for the options of one run.</summary>
public sealed class AcmeSourceFactory(IHttpClientFactory httpClients, TimeProvider time, ILoggerFactory loggers)
{
    /// <summary>Named clients: "acme" (system trust) or "acme|/full/path/bundle.pem" (that bundle only).</summary>
    public const string HttpClientName = "acme";

    public AcmeSource Create(AcmeSourceOptions options)
    {
        options.Validate();
        var name = options.CaBundlePath is { } bundle ? $"{HttpClientName}|{Path.GetFullPath(bundle)}" : HttpClientName;
        return new AcmeSource(options, httpClients.CreateClient(name), time, loggers);
    }
}

/// <summary>Configures the ACME named clients: the primary handler comes from the trust the name carries.</summary>
internal sealed class AcmeHttpClientConfiguration : IConfigureNamedOptions<HttpClientFactoryOptions>
{
    public void Configure(HttpClientFactoryOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, HttpClientFactoryOptions options)
    {
        if (name is null || !(name == AcmeSourceFactory.HttpClientName || name.StartsWith(AcmeSourceFactory.HttpClientName + "|", StringComparison.Ordinal)))
        {
            return;
        }

        var bundle = name.Length > AcmeSourceFactory.HttpClientName.Length ? name[(AcmeSourceFactory.HttpClientName.Length + 1)..] : null;
        var trust = bundle is null ? null : AcmeTrust.Load(bundle);
        options.HttpMessageHandlerBuilderActions.Add(builder => builder.PrimaryHandler = AcmeTrust.CreateHandler(trust));
        // The connection applies its own deadline per request; this is only a backstop.
        options.HttpClientActions.Add(client => client.Timeout = TimeSpan.FromMinutes(2));
    }
}

public static class AcmeServiceCollectionExtensions
{
    /// <summary>Registers the ACME source: the named HttpClients (TLS 1.2+, trust by name) and the factory.</summary>
    public static IServiceCollection AddAcmeSource(this IServiceCollection services)
    {
        services.AddHttpClient();
        services.AddSingleton<IConfigureOptions<HttpClientFactoryOptions>, AcmeHttpClientConfiguration>();
        services.AddSingleton<AcmeSourceFactory>();
        return services;
    }
}
