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
    string? OcspUrl = null);

public sealed record CaInitResult(string Home, CertificateInfo Root, CertificateInfo Intermediate, bool KeysEncrypted);

/// <summary>Creates the embedded two-tier CA: an offline root and an issuing intermediate.</summary>
public sealed class LocalCaInitializer(TimeProvider time, ILogger<LocalCaInitializer> logger)
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

        AtomicFile.CreatePrivateDirectory(home);
        var now = time.GetUtcNow();
        // Back-date by the same 5 minutes as leaves, so machines with a slightly slow clock accept the CA at once.
        var notBefore = now.AddMinutes(-5);
        using var rootKey = KeyGenerator.Generate(request.RootKeySpec);
        using var intermediateKey = KeyGenerator.Generate(request.IntermediateKeySpec);
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
        using var tsaKey = KeyGenerator.Generate(request.IntermediateKeySpec.Family == KeyAlgorithmFamily.Ed25519 ? KeySpec.EcdsaP384 : request.IntermediateKeySpec);
        var tsa = Signing.Timestamping.TsaCertificateFactory.Create(
            intermediateKey, intermediate, tsaKey, $"{request.Name} Timestamping", notBefore, now + request.IntermediateLifetime);
        var tsaPolicy = "2.25." + new System.Numerics.BigInteger(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16), isUnsigned: true);

        var config = new LocalCaConfig(
            LocalCaConfig.CurrentSchema,
            request.Name,
            now,
            request.EncryptKeys,
            request.RootKeySpec.Name,
            request.IntermediateKeySpec.Name,
            request.PermittedDns ?? [],
            request.PermittedUris ?? [],
            request.CrlUrl,
            request.RootCrlUrl,
            request.IssuerUrl,
            request.OcspUrl,
            TsaPolicyOid: tsaPolicy);

        // Keys and certificates first, ca.json last: a crash part-way leaves a directory that
        // 'ca init' can be run on again, never one that looks like a working CA.
        var rootKeyPath = Path.Combine(home, "root.key.pem");
        var intermediateKeyPath = Path.Combine(home, "intermediate.key.pem");
        AtomicFile.WriteText(rootKeyPath, EncodeKey(rootKey, secret), secret: true);
        AtomicFile.WriteText(intermediateKeyPath, EncodeKey(intermediateKey, secret), secret: true);
        AtomicFile.WriteText(Path.Combine(home, "root.pem"), Pem.Encode("CERTIFICATE", root.GetEncoded()), secret: false);
        AtomicFile.WriteText(Path.Combine(home, "intermediate.pem"), Pem.Encode("CERTIFICATE", intermediate.GetEncoded()), secret: false);
        AtomicFile.WriteText(Path.Combine(home, "tsa.key.pem"), EncodeKey(tsaKey, secret), secret: true);
        AtomicFile.WriteText(Path.Combine(home, "tsa.pem"), Pem.Encode("CERTIFICATE", tsa.GetEncoded()), secret: false);

        using (var inventory = InventoryStore.Open(Path.Combine(home, "inventory.db")))
        {
            inventory.TryAdd(LocalAuthority.RecordFor(intermediate, root, "intermediate-ca", request.IntermediateKeySpec.Name, "local", request.Requester, now));
        }

        var created = LocalCaHome.Create(home, config);
        logger.LogInformation("created CA {Name} in {Home}", request.Name, created.Directory);
        return Task.FromResult(new CaInitResult(home, CertificateDescriber.Describe(root), CertificateDescriber.Describe(intermediate), request.EncryptKeys));
    }

    internal static string EncodeKey(IExportableKey key, ReadOnlyMemory<char>? passphrase) =>
        passphrase is { } secret ? PrivateKeyCodec.ToEncryptedPem(key, secret.Span) : PrivateKeyCodec.ToPem(key);

    internal static X509Certificate ReadCertificate(string path) => PkiObjectReader.ReadSingleCertificate(path);
}
