using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.IO;
using PipelinePki.Core.Keys;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Authorities;

/// <param name="Path">The key file, or the key's pkcs11: URI (without secrets) when <paramref name="OnToken"/>.</param>
public sealed record KeyLocation(string Path, bool Encrypted, bool OnToken = false);

public sealed record InventoryCounts(int Total, int Valid, int Revoked, int Expired);

public sealed record CrlFreshness(string Issuer, long CrlNumber, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate, bool Stale);

public sealed record CaStatus(
    string Home,
    string Name,
    CertificateInfo Root,
    CertificateInfo Intermediate,
    KeyLocation RootKey,
    KeyLocation IntermediateKey,
    InventoryCounts Certificates,
    IReadOnlyList<CrlFreshness> Crls,
    IReadOnlyList<string> Warnings);

/// <param name="IntermediateKeyUri">A token key for the new intermediate (opened, or generated there); null for a new key file.</param>
/// <param name="ModulePath">The token's module, when ca.json does not record one yet.</param>
/// <param name="PinEnvironmentVariable">The PIN's variable, when ca.json does not record one yet.</param>
public sealed record RotateIntermediateRequest(
    TimeSpan Lifetime, KeySpec? KeySpec, Requester Requester, string? IntermediateKeyUri = null, string? ModulePath = null, string? PinEnvironmentVariable = null);

/// <summary>
/// The embedded two-tier CA. Issuance uses the intermediate key alone; the root key is read only
/// to rotate the intermediate and to sign the root's own CRL. Either key may live on a PKCS#11
/// token (ca.json records its URI); <paramref name="externalKeys"/> opens those.
/// </summary>
public sealed class LocalAuthority(
    LocalCaHome home, PassphraseProvider passphrase, TimeProvider time, ILogger<LocalAuthority> logger, IExternalKeyProvider? externalKeys = null)
    : ICertificateSource, ICertificateRevoker, ICrlPublisher
{
    /// <summary>How far notBefore is back-dated, for relying parties whose clocks run a little slow.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    private const int SerialAttempts = 8;

    public string Name => "local";

    public LocalCaHome Home => home;

    public Task<IssuedCertificate> IssueAsync(IssueRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (string.IsNullOrWhiteSpace(request.CommonName) && request.CertificationRequest is null)
        {
            throw new UsageException("--name: the certificate needs a name (its subject common name).");
        }

        var now = time.GetUtcNow();
        var root = LoadCertificate(home.RootCertificatePath);
        var intermediate = LoadCertificate(home.IntermediateCertificatePath);
        var intermediateNotAfter = Utc(intermediate.NotAfter);
        if (intermediateNotAfter <= now)
        {
            throw new PolicyViolationException("ca-validity", $"{home.IntermediateCertificatePath}: the issuing CA expired on {intermediateNotAfter:u}; rotate it with 'pipeline-pki ca rotate-intermediate'.");
        }

        var notAfter = now + request.Lifetime;
        if (notAfter > intermediateNotAfter)
        {
            throw new PolicyViolationException("ca-validity", $"--ttl {Durations.Format(request.Lifetime)}: the certificate would outlive the issuing CA (valid until {intermediateNotAfter:u}); use a shorter --ttl or rotate the intermediate.");
        }

        var notBefore = now - ClockSkewAllowance;
        var intermediateNotBefore = Utc(intermediate.NotBefore);
        if (notBefore < intermediateNotBefore)
        {
            notBefore = intermediateNotBefore;
        }

        byte[] publicKey;
        KeySpec keySpec;
        IExportableKey? generated = null;
        var commonName = request.CommonName;
        var names = request.SubjectAlternativeNames;
        if (request.CertificationRequest is { } csrInput)
        {
            var csr = PkiObjectReader.ReadCertificationRequest(csrInput.Content, csrInput.Source);
            if (!VerifyCsr(csr))
            {
                throw new BadInputException($"{csrInput.Source}: the CSR's signature does not verify; it was altered or signed with another key. Make a new CSR.");
            }

            var info = csr.GetCertificationRequestInfo();
            publicKey = info.SubjectPublicKeyInfo.GetEncoded();
            var keyType = CertificateDescriber.KeyTypeOf(info.SubjectPublicKeyInfo);
            keySpec = KeySpec.All.FirstOrDefault(s => s.Name == keyType)
                ?? throw new PolicyViolationException("key-type", $"{csrInput.Source}: key type {keyType} is not allowed; use one of {string.Join(", ", KeySpec.All.Select(s => s.Name))}.");
            if (string.IsNullOrWhiteSpace(commonName))
            {
                commonName = info.Subject.GetValueList(X509Name.CN).FirstOrDefault()
                    ?? throw new UsageException($"--name: {csrInput.Source} has no common name; pass --name.");
            }

            if (names.Count == 0)
            {
                // The command line decides the names; the CSR's are used only when none were given.
                names = PkiObjectReader.RequestedNames(csr).Select(SubjectAlternativeName.Parse).ToList();
            }
        }
        else
        {
            generated = KeyGenerator.Generate(request.KeySpec);
            publicKey = generated.SubjectPublicKeyInfo;
            keySpec = request.KeySpec;
        }

        if (names.Count == 0 && request.Profile is CertificateProfile.Server or CertificateProfile.Mtls && SubjectAlternativeName.IsDnsName(commonName))
        {
            // TLS clients match host names against SANs only (RFC 6125), so a server certificate without one is useless.
            names = [SubjectAlternativeName.Dns(commonName)];
        }

        NameConstraintCheck.Enforce(names, home.Config.PermittedDns, home.Config.PermittedUris);

        try
        {
            using var issuerKey = LoadCaKey(root: false);
            var urls = new PublicationUrls(home.Config.CrlUrl, home.Config.IssuerUrl, home.Config.OcspUrl);
            using var inventory = InventoryStore.Open(home.InventoryPath);
            for (var attempt = 0; attempt < SerialAttempts; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var leaf = CertificateFactory.CreateLeaf(
                    issuerKey, intermediate, publicKey, keySpec, CertificateFactory.LeafName(commonName), names, request.Profile,
                    notBefore, notAfter, CertificateFactory.NewSerialNumber(), urls);
                var record = RecordFor(leaf, intermediate, request.Profile.Name(), keySpec.Name, Name, request.Requester, now);
                if (inventory.TryAdd(record))
                {
                    logger.LogInformation("issued {Serial} for {Subject}, valid until {NotAfter:u}", record.Serial, record.Subject, record.NotAfter);
                    return Task.FromResult(new IssuedCertificate(
                        X509CertificateLoader.LoadCertificate(leaf.GetEncoded()),
                        [X509CertificateLoader.LoadCertificate(intermediate.GetEncoded())],
                        X509CertificateLoader.LoadCertificate(root.GetEncoded()),
                        generated,
                        record));
                }
            }

            throw new InvalidOperationException($"could not draw an unused serial number in {SerialAttempts} attempts; the inventory at {home.InventoryPath} may be corrupt.");
        }
        catch
        {
            generated?.Dispose();
            throw;
        }
    }

    public Task<InventoryRecord> RevokeAsync(RevokeRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var reason = RevocationReasons.Name(RevocationReasons.Parse(request.Reason));
        using var inventory = InventoryStore.Open(home.InventoryPath);
        var record = inventory.Revoke(request.Serial, reason, time.GetUtcNow());
        logger.LogInformation("revoked {Serial} ({Reason}); publish a new CRL with 'pipeline-pki ca crl'", record.Serial, record.RevocationReason);
        return Task.FromResult(record);
    }

    public Task<CrlResult> PublishCrlAsync(CrlRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var issuerPath = request.Issuer == CrlIssuer.Root ? home.RootCertificatePath : home.IntermediateCertificatePath;
        var issuer = LoadCertificate(issuerPath);
        var issuerKeyId = KeyIdOf(issuer);
        using var key = LoadCaKey(root: request.Issuer == CrlIssuer.Root);
        using var inventory = InventoryStore.Open(home.InventoryPath);
        var now = time.GetUtcNow();
        var thisUpdate = now;
        var nextUpdate = now + request.Validity;
        var number = inventory.NextCrlNumber(issuerKeyId, thisUpdate, nextUpdate);
        var generator = new X509V2CrlGenerator();
        generator.SetIssuerDN(issuer.SubjectDN);
        generator.SetThisUpdate(CertificateFactory.WholeSeconds(thisUpdate));
        generator.SetNextUpdate(CertificateFactory.WholeSeconds(nextUpdate));
        foreach (var revoked in inventory.RevokedBy(issuerKeyId))
        {
            var reason = RevocationReasons.Parse(revoked.RevocationReason ?? "unspecified");
            var serial = new BigInteger(revoked.Serial, 16);
            var at = CertificateFactory.WholeSeconds(revoked.RevokedAt ?? now);
            if (reason == 0)
            {
                // RFC 5280 §5.3.1: reasonCode unspecified SHOULD be absent rather than present.
                generator.AddCrlEntry(serial, at, null);
            }
            else
            {
                generator.AddCrlEntry(serial, at, reason);
            }
        }

        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, CertificateFactory.AuthorityKeyIdentifierFor(issuer));
        generator.AddExtension(X509Extensions.CrlNumber, false, new CrlNumber(BigInteger.ValueOf(number)));
        var crl = generator.Generate(new KeySignatureFactory(key));
        logger.LogInformation("published CRL #{Number} for {Issuer}, next update {Next:u}", number, CertificateDescriber.FormatName(issuer.SubjectDN), nextUpdate);
        return Task.FromResult(new CrlResult(crl.GetEncoded(), PkiObjectReader.DescribeCrl(crl)));
    }

    /// <summary>
    /// Replaces the issuing CA with a new key and certificate signed by the root. The old
    /// certificate and key move to <c>archive/</c>, because what they issued stays valid and their
    /// CRLs may still have to be signed.
    /// </summary>
    public Task<CertificateInfo> RotateIntermediateAsync(RotateIntermediateRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var now = time.GetUtcNow();
        var root = LoadCertificate(home.RootCertificatePath);
        var rootNotAfter = Utc(root.NotAfter);
        if (now + request.Lifetime > rootNotAfter)
        {
            throw new PolicyViolationException("ca-validity", $"--ttl {Durations.Format(request.Lifetime)}: the intermediate would outlive the root (valid until {rootNotAfter:u}).");
        }

        var old = LoadCertificate(home.IntermediateCertificatePath);
        var spec = request.KeySpec ?? KeySpec.Parse(home.Config.IntermediateKeyType);
        var oldKeyUri = home.Config.IntermediateKeyUri;
        var newKeyUri = request.IntermediateKeyUri;
        if (oldKeyUri is not null && newKeyUri is null)
        {
            throw new UsageException($"--pkcs11-intermediate: the current intermediate key is on a PKCS#11 token ({ExternalKeyProviders.For(externalKeys, oldKeyUri, "ca.json").Describe(oldKeyUri)}); name the token key for the new one, with a new object= label.");
        }

        if (newKeyUri is not null && (newKeyUri == oldKeyUri || newKeyUri == home.Config.RootKeyUri))
        {
            throw new UsageException("--pkcs11-intermediate: rotation needs a new key; give a URI with a new object= label (it is generated on the token when absent).");
        }

        var newReference = newKeyUri is null ? null : new ExternalKeyReference(
            newKeyUri,
            request.ModulePath ?? home.Config.Pkcs11Module,
            request.PinEnvironmentVariable ?? home.Config.Pkcs11PinEnv ?? LocalCaConfig.DefaultPinVariable);

        // The root is opened first and disposed last: it owns the token module's initialisation.
        using var rootKey = LoadCaKey(root: true);
        ReadOnlyMemory<char>? secret = null;
        if (home.Config.KeysEncrypted)
        {
            secret = passphrase() ?? throw new UsageException("the CA keys are encrypted: set the passphrase environment variable (--passphrase-env).");
        }

        using var newKey = newKeyUri is null
            ? KeyGenerator.Generate(spec)
            : ExternalKeyProviders.For(externalKeys, newKeyUri, "--pkcs11-intermediate").OpenOrGenerate(newReference!, spec).Key;
        spec = newKey.Spec;
        var generation = home.Config.IntermediateGeneration + 1;
        var intermediate = CertificateFactory.CreateIntermediate(
            rootKey, root, newKey.SubjectPublicKeyInfo, old.SubjectDN, now - ClockSkewAllowance, now + request.Lifetime,
            home.Config.PermittedDns, home.Config.PermittedUris, new PublicationUrls(CrlUrl: home.Config.RootCrlUrl));

        AtomicFile.CreatePrivateDirectory(home.ArchiveDirectory);
        var oldSerial = CertificateDescriber.FormatSerial(old.SerialNumber);
        if (oldKeyUri is null)
        {
            File.Copy(home.IntermediateKeyPath, Path.Combine(home.ArchiveDirectory, $"intermediate-{oldSerial}.key.pem"), overwrite: true);
        }
        else
        {
            // The old key stays on the token; the archive records where (a URI, nothing secret).
            AtomicFile.WriteText(Path.Combine(home.ArchiveDirectory, $"intermediate-{oldSerial}.key.uri"), oldKeyUri + "\n", secret: false);
        }

        File.Copy(home.IntermediateCertificatePath, Path.Combine(home.ArchiveDirectory, $"intermediate-{oldSerial}.pem"), overwrite: true);
        if (newKey is IExportableKey newFileKey)
        {
            AtomicFile.WriteText(home.IntermediateKeyPath, LocalCaInitializer.EncodeKey(newFileKey, secret), secret: true);
        }
        else if (File.Exists(home.IntermediateKeyPath))
        {
            // Archived above; a key file beside a token-held intermediate would only mislead.
            File.Delete(home.IntermediateKeyPath);
        }

        AtomicFile.WriteText(home.IntermediateCertificatePath, Pem.Encode("CERTIFICATE", intermediate.GetEncoded()), secret: false);
        if (File.Exists(home.TsaCertificatePath))
        {
            // The timestamping certificate hangs off the intermediate: a new intermediate gets a new TSA
            // (new key), and the old pair goes to the archive with the intermediate that issued it.
            File.Copy(home.TsaCertificatePath, Path.Combine(home.ArchiveDirectory, $"tsa-{oldSerial}.pem"), overwrite: true);
            File.Copy(home.TsaKeyPath, Path.Combine(home.ArchiveDirectory, $"tsa-{oldSerial}.key.pem"), overwrite: true);
            using var tsaKey = KeyGenerator.Generate(spec.Family == KeyAlgorithmFamily.Ed25519 ? KeySpec.EcdsaP384 : spec);
            var tsa = Signing.Timestamping.TsaCertificateFactory.Create(
                newKey, intermediate, tsaKey, $"{home.Config.Name} Timestamping", now - ClockSkewAllowance, now + request.Lifetime);
            AtomicFile.WriteText(home.TsaKeyPath, LocalCaInitializer.EncodeKey(tsaKey, secret), secret: true);
            AtomicFile.WriteText(home.TsaCertificatePath, Pem.Encode("CERTIFICATE", tsa.GetEncoded()), secret: false);
        }

        home.WithConfig(home.Config with
        {
            IntermediateGeneration = generation,
            IntermediateKeyType = spec.Name,
            IntermediateKeyUri = newKeyUri,
            Pkcs11Module = newReference?.ModulePath ?? home.Config.Pkcs11Module,
            Pkcs11PinEnv = newReference?.PinEnvironmentVariable ?? home.Config.Pkcs11PinEnv,
        });
        using (var inventory = InventoryStore.Open(home.InventoryPath))
        {
            inventory.TryAdd(RecordFor(intermediate, root, "intermediate-ca", spec.Name, Name, request.Requester, now));
        }

        logger.LogInformation("rotated the issuing CA; the previous one is archived in {Archive}", home.ArchiveDirectory);
        return Task.FromResult(CertificateDescriber.Describe(intermediate));
    }

    /// <summary>The CA's RFC 3161 timestamping authority (<c>sign --timestamp local</c>).</summary>
    public Signing.Timestamping.TimestampAuthority OpenTimestampAuthority()
    {
        if (!File.Exists(home.TsaCertificatePath) || home.Config.TsaPolicyOid is null)
        {
            throw new BadInputException($"{home.Directory}: this CA has no timestamping certificate (created by an older version); use --timestamp URL or a new CA.");
        }

        var tsa = LoadCertificate(home.TsaCertificatePath);
        var intermediate = LoadCertificate(home.IntermediateCertificatePath);
        var root = LoadCertificate(home.RootCertificatePath);
        return new Signing.Timestamping.TimestampAuthority(LoadKey(home.TsaKeyPath), tsa, [intermediate, root], home.Config.TsaPolicyOid, time);
    }

    public CaStatus GetStatus()
    {
        var now = time.GetUtcNow();
        var root = LoadCertificate(home.RootCertificatePath);
        var intermediate = LoadCertificate(home.IntermediateCertificatePath);
        using var inventory = InventoryStore.Open(home.InventoryPath);
        var leaves = inventory.List().Where(r => r.Profile != "intermediate-ca").ToList();
        var counts = new InventoryCounts(
            leaves.Count,
            leaves.Count(r => r.StatusAt(now) == CertificateStatus.Valid),
            leaves.Count(r => r.StatusAt(now) == CertificateStatus.Revoked),
            leaves.Count(r => r.StatusAt(now) == CertificateStatus.Expired));
        var names = new Dictionary<string, string>
        {
            [KeyIdOf(root)] = "root",
            [KeyIdOf(intermediate)] = "intermediate",
        };
        var crls = inventory.CrlStates()
            .Select(s => new CrlFreshness(names.GetValueOrDefault(s.IssuerKeyId, $"archived intermediate {s.IssuerKeyId}"), s.CrlNumber, s.ThisUpdate, s.NextUpdate, s.NextUpdate <= now))
            .ToList();
        var warnings = new List<string>();
        var intermediateInfo = CertificateDescriber.Describe(intermediate);
        var rootInfo = CertificateDescriber.Describe(root);
        if (intermediateInfo.NotAfter - now < TimeSpan.FromDays(30))
        {
            warnings.Add($"the issuing CA expires on {intermediateInfo.NotAfter:u}; rotate it with 'pipeline-pki ca rotate-intermediate'.");
        }

        if (!home.Config.KeysEncrypted)
        {
            warnings.Add("the CA keys are not encrypted at rest (created with --no-passphrase).");
        }

        foreach (var crl in crls.Where(c => c.Stale))
        {
            warnings.Add($"the {crl.Issuer} CRL is past its nextUpdate ({crl.NextUpdate:u}); publish a new one with 'pipeline-pki ca crl'.");
        }

        if (crls.All(c => c.Issuer != "intermediate"))
        {
            warnings.Add("no CRL has been published for the issuing CA yet ('pipeline-pki ca crl').");
        }

        return new CaStatus(
            home.Directory,
            home.Config.Name,
            rootInfo,
            intermediateInfo,
            LocationOf(home.Config.RootKeyUri, home.RootKeyPath),
            LocationOf(home.Config.IntermediateKeyUri, home.IntermediateKeyPath),
            counts,
            crls,
            warnings);
    }

    public IReadOnlyList<InventoryRecord> ListInventory()
    {
        using var inventory = InventoryStore.Open(home.InventoryPath);
        return inventory.List();
    }

    internal static InventoryRecord RecordFor(
        BcCertificate certificate, BcCertificate issuer, string profile, string keyType, string source, Requester requester, DateTimeOffset issuedAt)
    {
        return InventoryRecord.NewlyIssued(CertificateDescriber.Describe(certificate), KeyIdOf(issuer), profile, keyType, source, requester, issuedAt);
    }

    /// <summary>The issuer's subject key identifier, hex: CRLs and inventory rows are grouped by issuing key, so a rotated intermediate keeps its own CRL.</summary>
    internal static string KeyIdOf(BcCertificate certificate) =>
        CertificateDescriber.Hex(CertificateFactory.AuthorityKeyIdentifierFor(certificate).KeyIdentifier.GetOctets());

    private static bool VerifyCsr(Org.BouncyCastle.Pkcs.Pkcs10CertificationRequest csr)
    {
        try
        {
            return csr.Verify();
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or Org.BouncyCastle.Security.InvalidKeyException
            or Org.BouncyCastle.Security.SecurityUtilityException or Org.BouncyCastle.Crypto.CryptoException or Asn1Exception)
        {
            return false;
        }
    }

    private static BcCertificate LoadCertificate(string path) => PkiObjectReader.ReadSingleCertificate(path);

    /// <summary>The root's or the intermediate's key: from its file, or opened on the token ca.json names.</summary>
    private ISigningKey LoadCaKey(bool root)
    {
        var uri = root ? home.Config.RootKeyUri : home.Config.IntermediateKeyUri;
        return uri is null
            ? LoadKey(root ? home.RootKeyPath : home.IntermediateKeyPath)
            : ExternalKeyProviders.For(externalKeys, uri, LocalCaHome.ConfigPath(home.Directory)).Open(ExternalKeyFor(uri));
    }

    private ExternalKeyReference ExternalKeyFor(string uri) => home.Config.ExternalKey(uri);

    private KeyLocation LocationOf(string? uri, string path) => uri is null
        ? new KeyLocation(path, home.Config.KeysEncrypted)
        : new KeyLocation(externalKeys is not null && externalKeys.Handles(uri) ? externalKeys.Describe(uri) : uri.Split('?')[0], Encrypted: false, OnToken: true);

    private IExportableKey LoadKey(string path) => PrivateKeyCodec.Read(PkiObjectReader.ReadFile(path), path, () => passphrase());

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value.ToUniversalTime(), DateTimeKind.Utc));
}
