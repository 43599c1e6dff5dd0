using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.X509;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Sources.Vault;

/// <summary>What <c>ca fetch --source vault</c> asks for.</summary>
public enum VaultPublication
{
    /// <summary><c>GET &lt;mount&gt;/ca_chain</c>: the issuing CA and its parents, PEM.</summary>
    CaChain,

    /// <summary><c>GET &lt;mount&gt;/crl</c>: the issuing CA's CRL, DER.</summary>
    Crl,
}

/// <summary>
/// Vault's PKI secrets engine as a certificate source. By default the key is made here and only a
/// CSR goes to <c>&lt;mount&gt;/sign/&lt;role&gt;</c>; with <see cref="VaultOptions.GenerateKey"/> Vault makes
/// it (<c>&lt;mount&gt;/issue/&lt;role&gt;</c>) and sends it back once.
/// </summary>
public sealed class VaultSource : ICertificateSource, ICertificateRevoker
{
    private readonly VaultApi api;
    private readonly VaultAuthenticator authenticator;
    private readonly VaultOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<VaultSource> logger;

    internal VaultSource(VaultApi api, VaultAuthenticator authenticator, VaultOptions options, TimeProvider time, ILogger<VaultSource> logger)
    {
        this.api = api;
        this.authenticator = authenticator;
        this.options = options;
        this.time = time;
        this.logger = logger;
    }

    public string Name => "vault";

    public async Task<IssuedCertificate> IssueAsync(IssueRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(options.Role))
        {
            throw new UsageException("--role: name the Vault PKI role to issue with (it decides which names, TTLs and key types are allowed).");
        }

        if (string.IsNullOrWhiteSpace(request.CommonName))
        {
            throw new UsageException("--name: Vault needs a common name for the certificate.");
        }

        if (options.GenerateKey && request.CertificationRequest is not null)
        {
            throw new UsageException("--vault-generate-key and --csr exclude each other: either Vault makes the key, or it signs your CSR.");
        }

        IExportableKey? key = null;
        try
        {
            string? csr = null;
            if (request.CertificationRequest is { } given)
            {
                csr = Pem.LooksLikePem(given.Content) ? Encoding.ASCII.GetString(given.Content) : Pem.Encode("CERTIFICATE REQUEST", given.Content);
            }
            else if (!options.GenerateKey)
            {
                key = KeyGenerator.Generate(request.KeySpec);
                csr = CertificationRequestBuilder.BuildPem(key, request.CommonName, request.SubjectAlternativeNames);
            }

            var names = request.SubjectAlternativeNames;
            var body = new VaultCertificateRequest(
                csr,
                request.CommonName,
                Join(names.Where(n => n.Type is SanType.Dns or SanType.Email)),
                Join(names.Where(n => n.Type == SanType.Ip)),
                Join(names.Where(n => n.Type == SanType.Uri)),
                $"{(long)Math.Ceiling(request.Lifetime.TotalSeconds)}s",
                "pem",
                options.GenerateKey ? "pkcs8" : null);
            var endpoint = options.GenerateKey ? "issue" : "sign";
            var operation = options.GenerateKey ? "issue" : "sign";
            var token = await authenticator.TokenAsync(cancellationToken);
            var reply = await api.SendAsync(
                new VaultCall(operation, HttpMethod.Post, $"{options.MountPath}/{endpoint}/{options.Role}", JsonSerializer.SerializeToUtf8Bytes(body, VaultJson.Default.VaultCertificateRequest), token, options.WrapTtl),
                cancellationToken);
            var envelope = api.Parse(reply, VaultJson.Default.VaultCertificateEnvelope, operation);
            if (options.WrapTtl is not null)
            {
                envelope = await UnwrapAsync(envelope, reply, operation, cancellationToken);
            }

            foreach (var warning in envelope.Warnings ?? [])
            {
                logger.LogWarning("Vault: {Warning}", api.Redactor.Redact(warning));
            }

            return Build(envelope.Data, reply.Url, key, request);
        }
        catch
        {
            key?.Dispose();
            throw;
        }
    }

    public async Task<InventoryRecord> RevokeAsync(RevokeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var serial = InventoryStore.NormalizeSerial(request.Serial);
        if (!string.IsNullOrEmpty(request.Reason) && request.Reason != "unspecified")
        {
            // Vault's revoke endpoint takes no reason code; the local inventory keeps it.
            logger.LogWarning("Vault's revoke API takes no reason; '{Reason}' is recorded in the local inventory only", request.Reason);
        }

        var colonSerial = ColonSerial(serial);
        var token = await authenticator.TokenAsync(cancellationToken);
        var reply = await api.SendAsync(
            new VaultCall("revoke", HttpMethod.Post, $"{options.MountPath}/revoke", JsonSerializer.SerializeToUtf8Bytes(new VaultRevokeRequest(colonSerial), VaultJson.Default.VaultRevokeRequest), token),
            cancellationToken);
        var revoked = api.Parse(reply, VaultJson.Default.VaultRevokeEnvelope, "revoke");
        var at = revoked.Data?.RevocationTime is { } seconds && seconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : time.GetUtcNow();
        var reason = string.IsNullOrEmpty(request.Reason) ? "unspecified" : RevocationReasons.Name(RevocationReasons.Parse(request.Reason));

        if (options.InventoryPath is not null && File.Exists(options.InventoryPath))
        {
            using var inventory = InventoryStore.Open(options.InventoryPath);
            if (inventory.Find(serial) is not null)
            {
                return inventory.Revoke(serial, reason, at);
            }
        }

        // Not issued through this inventory: describe it from Vault's own copy (pki/cert/:serial).
        var read = await api.SendAsync(new VaultCall("read certificate", HttpMethod.Get, $"{options.MountPath}/cert/{colonSerial}", Token: token), cancellationToken);
        var pem = api.Parse(read, VaultJson.Default.VaultReadCertificateEnvelope, "read certificate").Data?.Certificate;
        var leaf = pem is null ? null : ReadCertificates(pem, read.Url).FirstOrDefault();
        if (leaf is null)
        {
            throw new RemoteFailureException(read.Url.AbsoluteUri, $"Vault revoked {serial} but GET {read.Url.AbsoluteUri} returned no certificate to describe it.");
        }

        return RecordFor(leaf, "vault", KeyTypeOf(leaf), Requester.Unknown, at) with
        {
            Status = CertificateStatus.Revoked,
            RevokedAt = at,
            RevocationReason = reason,
        };
    }

    /// <summary>The mount's CA chain (PEM) or CRL (DER), checked to be what was asked for.</summary>
    public async Task<byte[]> FetchAsync(VaultPublication what, CancellationToken cancellationToken)
    {
        var (path, operation) = what == VaultPublication.CaChain ? ("ca_chain", "CA chain fetch") : ("crl", "CRL fetch");
        var reply = await api.SendAsync(new VaultCall(operation, HttpMethod.Get, $"{options.MountPath}/{path}"), cancellationToken);
        try
        {
            if (what == VaultPublication.CaChain)
            {
                if (ReadCertificates(Encoding.ASCII.GetString(reply.Body), reply.Url).Count == 0)
                {
                    throw new BadInputException("no certificate in the answer");
                }
            }
            else
            {
                PkiObjectReader.ParseCrl(reply.Body, reply.Url.AbsoluteUri);
            }
        }
        catch (BadInputException e)
        {
            throw new RemoteFailureException(reply.Url.AbsoluteUri, $"Vault {operation}: GET {reply.Url.AbsoluteUri} did not return a {(what == VaultPublication.CaChain ? "PEM certificate chain" : "DER CRL")} ({e.Message}); check --mount.", e);
        }

        return reply.Body;
    }

    private async Task<VaultCertificateEnvelope> UnwrapAsync(VaultCertificateEnvelope wrapped, VaultReply reply, string operation, CancellationToken cancellationToken)
    {
        var wrappingToken = wrapped.WrapInfo?.Token;
        if (string.IsNullOrEmpty(wrappingToken))
        {
            throw new RemoteFailureException(reply.Url.AbsoluteUri, $"Vault {operation}: asked for a wrapped answer (--wrap-ttl) but {reply.Url.AbsoluteUri} sent no wrap_info.token; check that the path allows response wrapping.");
        }

        api.Redactor.Add(wrappingToken);

        // The wrapping token is the client token of the unwrap call and nowhere else (Vault's docs:
        // using it in both places revokes it without returning the value).
        var unwrapped = await api.SendAsync(new VaultCall("unwrap", HttpMethod.Post, "sys/wrapping/unwrap", Token: wrappingToken), cancellationToken);
        return api.Parse(unwrapped, VaultJson.Default.VaultCertificateEnvelope, "unwrap");
    }

    private IssuedCertificate Build(VaultCertificateData? data, Uri url, IExportableKey? key, IssueRequest request)
    {
        if (data?.Certificate is null)
        {
            throw new RemoteFailureException(url.AbsoluteUri, $"Vault {url.AbsoluteUri} answered without data.certificate; check that --mount names a PKI secrets engine.");
        }

        var leaf = ReadCertificates(data.Certificate, url).FirstOrDefault()
            ?? throw new RemoteFailureException(url.AbsoluteUri, $"Vault {url.AbsoluteUri}: data.certificate holds no certificate.");
        var authorities = new List<BcCertificate>();
        foreach (var pem in data.CaChain is { Count: > 0 } chain ? chain : data.IssuingCa is null ? [] : [data.IssuingCa])
        {
            foreach (var certificate in ReadCertificates(pem, url))
            {
                if (!authorities.Any(a => a.Equals(certificate)))
                {
                    authorities.Add(certificate);
                }
            }
        }

        var root = authorities.FirstOrDefault(IsSelfSigned);
        var intermediates = authorities.Where(a => !IsSelfSigned(a)).ToList();

        IExportableKey? privateKey = key;
        if (key is not null && !key.SubjectPublicKeyInfo.AsSpan().SequenceEqual(leaf.CertificateStructure.SubjectPublicKeyInfo.GetEncoded()))
        {
            throw new RemoteFailureException(url.AbsoluteUri, $"Vault {url.AbsoluteUri} returned a certificate for a different key than the CSR's; refusing it.");
        }

        if (options.GenerateKey)
        {
            if (string.IsNullOrEmpty(data.PrivateKey))
            {
                throw new RemoteFailureException(url.AbsoluteUri, $"Vault {url.AbsoluteUri} issued without data.private_key; nothing to pair the certificate with.");
            }

            api.Redactor.Add(data.PrivateKey);
            privateKey = PrivateKeyCodec.Read(Encoding.ASCII.GetBytes(data.PrivateKey), $"{url.AbsoluteUri} data.private_key", () => null);
            if (!privateKey.SubjectPublicKeyInfo.AsSpan().SequenceEqual(leaf.CertificateStructure.SubjectPublicKeyInfo.GetEncoded()))
            {
                privateKey.Dispose();
                throw new RemoteFailureException(url.AbsoluteUri, $"Vault {url.AbsoluteUri} returned a private key that does not match its certificate; refusing both.");
            }
        }

        var record = RecordFor(leaf, $"vault-role:{options.Role}", KeyTypeOf(leaf), request.Requester, time.GetUtcNow());
        if (options.InventoryPath is not null)
        {
            AtomicFileDirectory(options.InventoryPath);
            using var inventory = InventoryStore.Open(options.InventoryPath);
            if (!inventory.TryAdd(record))
            {
                logger.LogWarning("serial {Serial} is already in {Inventory}; the earlier row is kept", record.Serial, options.InventoryPath);
            }
        }

        logger.LogInformation("Vault issued {Serial} for {Subject}, valid until {NotAfter:u}", record.Serial, record.Subject, record.NotAfter);
        return new IssuedCertificate(
            X509CertificateLoader.LoadCertificate(leaf.GetEncoded()),
            intermediates.Select(c => X509CertificateLoader.LoadCertificate(c.GetEncoded())).ToList(),
            root is null ? null : X509CertificateLoader.LoadCertificate(root.GetEncoded()),
            privateKey,
            record);
    }

    private static void AtomicFileDirectory(string inventoryPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(inventoryPath));
        if (directory is not null && !Directory.Exists(directory))
        {
            Core.IO.AtomicFile.CreatePrivateDirectory(directory);
        }
    }

    private static InventoryRecord RecordFor(BcCertificate leaf, string profile, string keyType, Requester requester, DateTimeOffset issuedAt)
    {
        var info = CertificateDescriber.Describe(leaf);
        var issuerKeyId = info.AuthorityKeyIdentifier?.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant() ?? string.Empty;
        return InventoryRecord.NewlyIssued(info, issuerKeyId, profile, keyType, "vault", requester, issuedAt);
    }

    private static string KeyTypeOf(BcCertificate certificate) =>
        CertificateDescriber.KeyTypeOf(certificate.CertificateStructure.SubjectPublicKeyInfo);

    private static bool IsSelfSigned(BcCertificate certificate)
    {
        if (!certificate.SubjectDN.Equivalent(certificate.IssuerDN))
        {
            return false;
        }

        try
        {
            certificate.Verify(certificate.GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.Certificates.CertificateException or Org.BouncyCastle.Security.SignatureException or InvalidOperationException)
        {
            return false;
        }
    }

    private static List<BcCertificate> ReadCertificates(string pem, Uri url)
    {
        try
        {
            return PkiObjectReader.ReadCertificates(Encoding.ASCII.GetBytes(pem), url.AbsoluteUri).ToList();
        }
        catch (BadInputException e)
        {
            throw new RemoteFailureException(url.AbsoluteUri, $"Vault {url.AbsoluteUri} sent a certificate that cannot be read ({e.Message}).", e);
        }
    }

    private static string? Join(IEnumerable<SubjectAlternativeName> names)
    {
        var values = names.Select(n => n.Value).ToList();
        return values.Count == 0 ? null : string.Join(',', values);
    }

    /// <summary>Vault names serials as colon-separated lower-case hex pairs (<c>39:dd:2e:…</c>).</summary>
    internal static string ColonSerial(string normalizedHex) =>
        string.Join(':', Enumerable.Range(0, normalizedHex.Length / 2).Select(i => normalizedHex.Substring(i * 2, 2).ToLower(CultureInfo.InvariantCulture)));
}
