using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;

namespace PipelinePki.Sources.Vault;

public static class VaultServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="VaultSource"/> for one Vault mount: a named HttpClient whose handler trusts
    /// <see cref="VaultOptions.CaFile"/>, presents the client certificate, and never follows redirects by
    /// itself (the source follows a standby's 307 and keeps the token on TLS only).
    /// </summary>
    /// <param name="jitter">Full-jitter share source; tests pin it, default is a fresh <see cref="Random"/>.</param>
    public static IServiceCollection AddVaultSource(this IServiceCollection services, VaultOptions options, Func<double>? jitter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddHttpClient(VaultApi.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => VaultHttpHandler.Create(options))
            // The source applies --vault-timeout across retries; the client's own timeout must not cut in first.
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            // Header values (X-Vault-Token among them) never reach a log, whatever its level.
            .RedactLoggedHeaders(_ => true);
        var random = new Random();
        services.AddSingleton(provider => new VaultApi(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(VaultApi.HttpClientName),
            options,
            new VaultRetryPolicy(options.InitialBackoff, options.MaxBackoff, jitter ?? random.NextDouble),
            new SecretRedactor(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<VaultApi>>()));
        services.AddSingleton(provider => new VaultAuthenticator(provider.GetRequiredService<VaultApi>(), options, provider.GetRequiredService<ILogger<VaultAuthenticator>>()));
        services.AddSingleton(provider => new VaultSource(
            provider.GetRequiredService<VaultApi>(),
            provider.GetRequiredService<VaultAuthenticator>(),
            options,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<VaultSource>>()));
        return services;
    }
}

/// <summary>
/// A <see cref="VaultSource"/> with its own small container, for callers that learn the options only
/// per command (the CLI): logging and time come from the caller.
/// </summary>
public sealed class VaultSourceHost : IAsyncDisposable
{
    private readonly ServiceProvider provider;

    private VaultSourceHost(ServiceProvider provider)
    {
        this.provider = provider;
        Source = provider.GetRequiredService<VaultSource>();
    }

    public VaultSource Source { get; }

    public static VaultSourceHost Create(VaultOptions options, ILoggerFactory loggers, TimeProvider time, Func<double>? jitter = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(loggers);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(time);
        services.AddVaultSource(options, jitter);
        return new VaultSourceHost(services.BuildServiceProvider());
    }

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}

/// <summary>The TLS side of talking to Vault: TLS 1.2+, the given CA bundle, the optional client certificate.</summary>
internal static class VaultHttpHandler
{
    public static SocketsHttpHandler Create(VaultOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = true,
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = { EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13 },
        };
        if (options.CaFile is not null)
        {
            var trust = LoadTrust(options.CaFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                Validate(certificate, chain, errors, trust);
        }

        if (options.ClientCertificateFile is not null && options.ClientKeyFile is not null)
        {
            handler.SslOptions.ClientCertificates = [LoadClientCertificate(options.ClientCertificateFile, options.ClientKeyFile)];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, local, _, _) => local[0];
        }

        return handler;
    }

    private static X509Certificate2Collection LoadTrust(string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new BadInputException($"{path}: cannot read the Vault CA bundle ({e.Message}); give a PEM file with the CA of Vault's TLS certificate (--vault-ca).", e);
        }

        return collection.Count > 0
            ? collection
            : throw new BadInputException($"{path}: no PEM certificate in the Vault CA bundle (--vault-ca).");
    }

    private static X509Certificate2 LoadClientCertificate(string certificatePath, string keyPath)
    {
        try
        {
            using var ephemeral = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);

            // SslStream on Linux wants the key in a form it can hand to OpenSSL repeatedly: a PKCS#12
            // round trip in memory gives it one (no file, no password kept).
            return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new BadInputException($"{certificatePath} / {keyPath}: cannot load the client certificate and key for Vault ({e.GetType().Name}); give PEM files that belong together (--vault-client-cert, --vault-client-key).", e);
        }
    }

    private static bool Validate(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection trust)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        foreach (var authority in trust)
        {
            // A bundle may hold intermediates too: only self-signed certificates are anchors.
            var selfSigned = authority.SubjectName.RawData.AsSpan().SequenceEqual(authority.IssuerName.RawData);
            (selfSigned ? chain.ChainPolicy.CustomTrustStore : chain.ChainPolicy.ExtraStore).Add(authority);
        }

        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
