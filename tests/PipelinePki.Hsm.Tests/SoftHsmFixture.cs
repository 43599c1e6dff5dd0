using PipelinePki.Core.Keys;
using PipelinePki.TestKit;

namespace PipelinePki.Hsm.Tests;

/// <summary>
/// One SoftHSM2 token with a P-256, a P-384 and an RSA-3072 key, generated on the token, shared by
/// every test that loads the module. SoftHSM reads SOFTHSM2_CONF from this process's environment,
/// and unloading the module (C_Finalize) ends every session in the process, so those tests run
/// one at a time in one collection.
/// </summary>
public sealed class SoftHsmFixture : IAsyncLifetime
{
    public static readonly TheoryData<string, string> Keys = new()
    {
        { "p256", "ecdsa-p256" },
        { "p384", "ecdsa-p384" },
        { "rsa3072", "rsa-3072" },
    };

    private SoftHsm? hsm;

    public SoftHsm Hsm => hsm ?? throw new InvalidOperationException("fixture not initialised");

    public static string IdOf(string label) => label switch
    {
        "p256" => "01",
        "p384" => "02",
        "rsa3072" => "03",
        _ => throw new ArgumentOutOfRangeException(nameof(label)),
    };

    public static KeySpec SpecOf(string name) => KeySpec.Parse(name);

    public async Task InitializeAsync()
    {
        hsm = await SoftHsm.CreateAsync("ppki-hsm-tests");
        await hsm.GenerateKeyPairAsync("EC:prime256v1", "p256", IdOf("p256"));
        await hsm.GenerateKeyPairAsync("EC:secp384r1", "p384", IdOf("p384"));
        await hsm.GenerateKeyPairAsync("rsa:3072", "rsa3072", IdOf("rsa3072"));
    }

    public Task DisposeAsync()
    {
        hsm?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A URI for a key on the fixture's token, with the module path in the query.</summary>
    public string Uri(string label, string? token = null, string? module = null) =>
        $"pkcs11:token={token ?? Hsm.TokenLabel};object={label};type=private?module-path={module ?? SoftHsm.ModulePath}";

    /// <summary>Opens a key with the PIN passed through a fresh environment variable, as the CLI does with --pin-env.</summary>
    public Pkcs11SigningKey Open(string uri, string? pin = null)
    {
        var variable = "PPKI_TEST_PIN_" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable(variable, pin ?? Hsm.UserPin);
        try
        {
            return Pkcs11KeyStore.Open(new Pkcs11KeyRequest(Pkcs11Uri.Parse(uri), variable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsmFixture>
{
    public const string Name = "SoftHSM2";
}
