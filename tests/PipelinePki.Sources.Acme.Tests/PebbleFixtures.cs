using PipelinePki.TestKit;

namespace PipelinePki.Sources.Acme.Tests;

/// <summary>
/// One Pebble per behaviour, shared by the tests of its collection (collections run in parallel,
/// tests inside one run in order, so the http-01 port of an instance is never contended).
/// </summary>
public abstract class PebbleFixture(PebbleOptions options) : IAsyncLifetime
{
    private PebbleServer? server;

    public PebbleServer Pebble => server ?? throw new InvalidOperationException("Pebble not started");

    public async Task InitializeAsync() => server = await PebbleServer.StartAsync(options);

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }
}

/// <summary>Nonce rejection off, no validation sleeps, every valid authorization reused, one alternate root.</summary>
public sealed class FastPebbleFixture() : PebbleFixture(new PebbleOptions { AuthorizationReusePercent = 100, AlternateRoots = 1 });

/// <summary>Half the nonces refused, half the authorizations reused, validation sleeps on: Pebble at its most awkward.</summary>
public sealed class HostilePebbleFixture() : PebbleFixture(new PebbleOptions { NonceRejectPercent = 50, AuthorizationReusePercent = 50, ValidationSleeps = true });

public sealed class EabPebbleFixture() : PebbleFixture(new PebbleOptions
{
    ExternalAccountKeys = new Dictionary<string, string> { [EabKeyId] = EabMacKey },
})
{
    public const string EabKeyId = "kid-ci";

    /// <summary>A test-only MAC key: base64url of "test-only-eab-mac-key-for-pipeline-pki-tests-001".</summary>
    public const string EabMacKey = "dGVzdC1vbmx5LWVhYi1tYWMta2V5LWZvci1waXBlbGluZS1wa2ktdGVzdHMtMDAx";
}

[CollectionDefinition(Name)]
public sealed class FastPebbleCollection : ICollectionFixture<FastPebbleFixture>
{
    public const string Name = "fast pebble";
}

[CollectionDefinition(Name)]
public sealed class HostilePebbleCollection : ICollectionFixture<HostilePebbleFixture>
{
    public const string Name = "hostile pebble";
}

[CollectionDefinition(Name)]
public sealed class EabPebbleCollection : ICollectionFixture<EabPebbleFixture>
{
    public const string Name = "eab pebble";
}
