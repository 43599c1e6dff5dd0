using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Pkcs;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Keys;
using PipelinePki.Hsm;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

/// <summary>
/// One SoftHSM2 token for the end-to-end HSM tests, initialised here (its own SOFTHSM2_CONF in a temp
/// folder), with P-256, P-384 and RSA-3072 signing keys generated inside it by pkcs11-tool and an
/// existing key a CA can adopt. The CLI processes get the config and the PIN through their environment.
/// </summary>
public sealed class HsmFixture : IAsyncLifetime
{
    /// <summary>Distinctive, so a test can prove it appears in no output.</summary>
    public const string Pin = "e2e-pin-7f3a91";

    public const string PinVariable = "PPKI_E2E_TOKEN_PIN";

    private SoftHsm? hsm;

    public SoftHsm Hsm => hsm ?? throw new InvalidOperationException("fixture not initialised");

    public string Module => SoftHsm.ModulePath;

    public async Task InitializeAsync()
    {
        hsm = await SoftHsm.CreateAsync("ppki-e2e", Pin);
        await hsm.GenerateKeyPairAsync("EC:prime256v1", "p256", "01");
        await hsm.GenerateKeyPairAsync("EC:secp384r1", "p384", "02");
        await hsm.GenerateKeyPairAsync("rsa:3072", "rsa3072", "03");
        await hsm.GenerateKeyPairAsync("EC:secp384r1", "existing-root", "10");
    }

    public Task DisposeAsync()
    {
        hsm?.Dispose();
        return Task.CompletedTask;
    }

    public string Uri(string label, string? token = null) => $"pkcs11:token={token ?? Hsm.TokenLabel};object={label}";

    /// <summary>A session whose CLI runs see the token (SOFTHSM2_CONF) and the PIN variable.</summary>
    public CliSession Session()
    {
        var cli = new CliSession();
        cli.Environment["SOFTHSM2_CONF"] = Hsm.ConfigPath;
        cli.Environment[PinVariable] = Pin;
        return cli;
    }

    /// <summary>A PKCS#10 request signed on the token by the key labelled <paramref name="label"/>, written as PEM.</summary>
    public void WriteCsr(string label, string path)
    {
        using var key = Pkcs11KeyStore.Open(Pkcs11Uri.Parse(Uri(label)), Pin, Module);
        var csr = new Pkcs10CertificationRequest(new TokenSignatureFactory(key), new X509Name($"CN=hsm-{label}"), SubjectPublicKeyInfo.GetInstance(key.SubjectPublicKeyInfo), null);
        File.WriteAllText(path, Pem.Encode("CERTIFICATE REQUEST", csr.GetEncoded()));
    }

    private sealed class TokenSignatureFactory(ISigningKey key) : ISignatureFactory
    {
        public object AlgorithmDetails { get; } = AlgorithmIdentifier.GetInstance(key.SignatureAlgorithmIdentifier);

        public IStreamCalculator<IBlockResult> CreateCalculator() => new Calculator(key);

        private sealed class Calculator(ISigningKey key) : IStreamCalculator<IBlockResult>
        {
            private readonly MemoryStream buffer = new();

            public Stream Stream => buffer;

            public IBlockResult GetResult() => new SimpleBlockResult(key.Sign(buffer.ToArray()));
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HsmCollection : ICollectionFixture<HsmFixture>
{
    public const string Name = "SoftHSM2 end to end";
}
