using Microsoft.Extensions.Logging;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.IO;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Authorities;

public sealed record CaInitRequest(
    string Home,
    string Name,
    KeySpec RootKeySpec,
    KeySpec IntermediateKeySpec,
    TimeSpan RootLifetime,
    TimeSpan IntermediateLifetime,
    bool EncryptKeys,
    Requester Requester,
    IReadOnlyList<string>? PermittedDns = null,
    IReadOnlyList<string>? PermittedUris = null,
    string? CrlUrl = null,
    string? RootCrlUrl = null,
    string? IssuerUrl = null,
    string? OcspUrl = null,
    ExternalCaKeys? ExternalKeys = null);

/// <param name="RootKeyOnToken">The root key's URI (without secrets) when it lives on a token.</param>
/// <param name="RootKeyGenerated">Whether <c>ca init</c> generated the root key (false when an existing token key was used).</param>
public sealed record CaInitResult(
    string Home,
    CertificateInfo Root,
    CertificateInfo Intermediate,
    bool KeysEncrypted,
    string? RootKeyOnToken = null,
    bool RootKeyGenerated = true,
    string? IntermediateKeyOnToken = null,
    bool IntermediateKeyGenerated = true);

/// <summary>
/// Creates the embedded two-tier CA: an offline root and an issuing intermediate. Their keys are
/// generated in process and written encrypted, or live on a PKCS#11 token (opened, or generated
/// there, through <paramref name="externalKeys"/>).
/// </summary>
public sealed class LocalCaInitializer(TimeProvider time, ILogger<LocalCaInitializer> logger, IExternalKeyProvider? externalKeys = null)
{
    public Task<CaInitResult> InitializeAsync(CaInitRequest request, PassphraseProvider passphrase, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            throw new UsageException("--name: the CA needs a name (for example \"Example CI\").");
        }

        if (request.IntermediateLifetime > request.RootLifetime)
        {
            throw new PolicyViolationException("ca-validity", "--intermediate-ttl: the intermediate cannot outlive the root; use a shorter --intermediate-ttl or a longer --root-ttl.");
        }

        foreach (var dns in request.PermittedDns ?? [])
        {
            if (!SubjectAlternativeName.IsDnsName(dns.TrimStart('.')))
            {
                throw new UsageException($"--permitted-dns: '{dns}' is not a DNS name or domain (.example.internal).");
            }
        }

        foreach (var host in request.PermittedUris ?? [])
        {
            if (!SubjectAlternativeName.IsDnsName(host.TrimStart('.')))
            {
                throw new UsageException($"--permitted-uri: '{host}' must be a host or domain (RFC 5280 constrains the URI's host), for example .example.internal.");
            }
        }

        ReadOnlyMemory<char>? secret = null;
        if (request.EncryptKeys)
        {
            secret = passphrase() ?? throw new UsageException(
                "the CA keys are written encrypted: set the passphrase environment variable (default PIPELINE_PKI_CA_PASSPHRASE, or the one named by --passphrase-env), or pass --no-passphrase.");
            if (secret.Value.Length < 8)
            {
                throw new UsageException("the CA passphrase must be at least 8 characters.");
            }
        }
        else
        {
            logger.LogWarning("the CA keys in {Home} are NOT encrypted (--no-passphrase): anyone who can read the directory can issue certificates.", Path.GetFullPath(request.Home));
        }

        var home = Path.GetFullPath(request.Home);
        if (LocalCaHome.Exists(home))
        {
            throw new UsageException($"--home {home}: a CA already exists there; choose another directory, or use 'ca rotate-intermediate' to renew its intermediate.");
        }

        var external = request.ExternalKeys;
        if (external is { RootKeyUri: { } sameRoot, IntermediateKeyUri: { } sameIntermediate } && sameRoot == sameIntermediate)
        {
            throw new UsageException("--pkcs11-root and --pkcs11-intermediate name the same key; the root and the intermediate need keys of their own (different object= labels).");
        }

        // Token keys first: a wrong PIN or a missing module fails before anything is written.
        // The root is opened first and disposed last: it owns the module's initialisation.
        using var rootKey = OpenOrGenerate(external, external?.RootKeyUri, request.RootKeySpec, "root", out var rootGenerated);
        using var intermediateKey = OpenOrGenerate(external, external?.IntermediateKeyUri, request.IntermediateKeySpec, "intermediate", out var intermediateGenerated);
        AtomicFile.CreatePrivateDirectory(home);
        var now = time.GetUtcNow();
        // Back-date by the same 5 minutes as leaves, so machines with a slightly slow clock accept the CA at once.
        var notBefore = now.AddMinutes(-5);
        var root = CertificateFactory.CreateRoot(rootKey, CertificateFactory.CaName(request.Name, $"{request.Name} Root CA"), notBefore, now + request.RootLifetime);
        var intermediate = CertificateFactory.CreateIntermediate(
            rootKey,
            root,
            intermediateKey.SubjectPublicKeyInfo,
            CertificateFactory.CaName(request.Name, $"{request.Name} Issuing CA"),
            notBefore,
            now + request.IntermediateLifetime,
            request.PermittedDns ?? [],
            request.PermittedUris ?? [],
            new PublicationUrls(CrlUrl: request.RootCrlUrl));

        // The CA is also a timestamping authority, so signatures made with 24 h certificates can be
        // verified after those expire. The TSA key signs online (every 'sign'), so the intermediate
        // issues it, never the offline root. Its policy OID is a UUID arc (2.25, X.667): no registry needed.
        using var tsaKey = KeyGenerator.Generate(intermediateKey.Spec.Family == KeyAlgorithmFamily.Ed25519 ? KeySpec.EcdsaP384 : intermediateKey.Spec);
        var tsa = Signing.Timestamping.TsaCertificateFactory.Create(
            intermediateKey, intermediate, tsaKey, $"{request.Name} Timestamping", notBefore, now + request.IntermediateLifetime);
        var tsaPolicy = "2.25." + new System.Numerics.BigInteger(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), isUnsigned: true);

        var config = new LocalCaConfig(
            LocalCaConfig.CurrentSchema,
            request.Name,
            now,
            request.EncryptKeys,
            rootKey.Spec.Name,
            intermediateKey.Spec.Name,
            request.PermittedDns ?? [],
            request.PermittedUris ?? [],
            request.CrlUrl,
            request.RootCrlUrl,
            request.IssuerUrl,
            request.OcspUrl,
            TsaPolicyOid: tsaPolicy,
            RootKeyUri: external?.RootKeyUri,
            IntermediateKeyUri: external?.IntermediateKeyUri,
            Pkcs11Module: external is { RootKeyUri: not null } or { IntermediateKeyUri: not null } ? external.ModulePath : null,
            Pkcs11PinEnv: external is { RootKeyUri: not null } or { IntermediateKeyUri: not null } ? external.PinEnvironmentVariable : null);

        // Keys and certificates first, ca.json last: a crash part-way leaves a directory that
        // 'ca init' can be run on again, never one that looks like a working CA.
        var rootKeyPath = Path.Combine(home, "root.key.pem");
        var intermediateKeyPath = Path.Combine(home, "intermediate.key.pem");
        if (rootKey is IExportableKey rootFileKey)
        {
            AtomicFile.WriteText(rootKeyPath, EncodeKey(rootFileKey, secret), secret: true);
        }

        if (intermediateKey is IExportableKey intermediateFileKey)
        {
            AtomicFile.WriteText(intermediateKeyPath, EncodeKey(intermediateFileKey, secret), secret: true);
        }

        AtomicFile.WriteText(Path.Combine(home, "root.pem"), Pem.Encode("CERTIFICATE", root.GetEncoded()), secret: false);
        AtomicFile.WriteText(Path.Combine(home, "intermediate.pem"), Pem.Encode("CERTIFICATE", intermediate.GetEncoded()), secret: false);
        AtomicFile.WriteText(Path.Combine(home, "tsa.key.pem"), EncodeKey(tsaKey, secret), secret: true);
        AtomicFile.WriteText(Path.Combine(home, "tsa.pem"), Pem.Encode("CERTIFICATE", tsa.GetEncoded()), secret: false);

        using (var inventory = InventoryStore.Open(Path.Combine(home, "inventory.db")))
        {
            inventory.TryAdd(LocalAuthority.RecordFor(intermediate, root, "intermediate-ca", intermediateKey.Spec.Name, "local", request.Requester, now));
        }

        var created = LocalCaHome.Create(home, config);
        logger.LogInformation("created CA {Name} in {Home}", request.Name, created.Directory);
        return Task.FromResult(new CaInitResult(
            home,
            CertificateDescriber.Describe(root),
            CertificateDescriber.Describe(intermediate),
            request.EncryptKeys,
            external?.RootKeyUri is { } rootUri ? externalKeys!.Describe(rootUri) : null,
            rootGenerated,
            external?.IntermediateKeyUri is { } intermediateUri ? externalKeys!.Describe(intermediateUri) : null,
            intermediateGenerated));
    }

    /// <summary>A software key, or the token key the URI names (generated there when absent).</summary>
    private ISigningKey OpenOrGenerate(ExternalCaKeys? external, string? uri, KeySpec spec, string role, out bool generated)
    {
        if (uri is null)
        {
            generated = true;
            return KeyGenerator.Generate(spec);
        }

        var provider = ExternalKeyProviders.For(externalKeys, uri, $"--pkcs11-{role}");
        var opened = provider.OpenOrGenerate(new ExternalKeyReference(uri, external!.ModulePath, external.PinEnvironmentVariable), spec);
        generated = opened.Generated;
        logger.LogInformation("{Role} key: {Action} {Key}", role, generated ? "generated on the token" : "using the existing token key", provider.Describe(uri));
        return opened.Key;
    }

    internal static string EncodeKey(IExportableKey key, ReadOnlyMemory<char>? passphrase) =>
        passphrase is { } secret ? PrivateKeyCodec.ToEncryptedPem(key, secret.Span) : PrivateKeyCodec.ToPem(key);

    internal static X509Certificate ReadCertificate(string path) => PkiObjectReader.ReadSingleCertificate(path);
}
