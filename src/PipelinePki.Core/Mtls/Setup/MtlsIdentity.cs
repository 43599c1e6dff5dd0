using System.Security.Cryptography;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// The client identity setup hands to the tools: the certificate with its chain, the key (PKCS#8,
/// or a PKCS#11 URI) and the CA that signs the servers. Every check happens here, before anything
/// is written: a key that does not belong to the certificate, an expired certificate, a "CA" that
/// is not one.
/// </summary>
internal sealed class MtlsIdentity : IDisposable
{
    private readonly byte[]? pkcs8;

    private MtlsIdentity(IReadOnlyList<X509Certificate> chain, IReadOnlyList<X509Certificate> ca, byte[]? pkcs8, string? pkcs11Uri)
    {
        Chain = chain;
        CaCertificates = ca;
        this.pkcs8 = pkcs8;
        Pkcs11Uri = pkcs11Uri;
    }

    /// <summary>Leaf first, then whatever intermediates the certificate file carried.</summary>
    public IReadOnlyList<X509Certificate> Chain { get; }

    public IReadOnlyList<X509Certificate> CaCertificates { get; }

    /// <summary>Set when the key lives in a token; then there is no key file to give tools.</summary>
    public string? Pkcs11Uri { get; }

    public bool HasKeyFile => pkcs8 is not null;

    public string ChainPem => string.Concat(Chain.Select(c => Pem.Encode("CERTIFICATE", c.GetEncoded())));

    public string CaPem => string.Concat(CaCertificates.Select(c => Pem.Encode("CERTIFICATE", c.GetEncoded())));

    /// <summary>The key as PKCS#8 PEM; the caller writes it to a 0600 file and drops the string.</summary>
    public string KeyPem() => Pem.Encode("PRIVATE KEY", Pkcs8());

    public byte[] Pkcs8() => pkcs8 ?? throw new InvalidOperationException("the key is in a PKCS#11 token; no configurator but env may ask for it");

    public static MtlsIdentity Load(MtlsSetupRequest request, TimeProvider time)
    {
        var chain = PkiObjectReader.ReadCertificates(request.CertificatePath);
        if (chain.Count == 0)
        {
            throw new BadInputException($"{request.CertificatePath}: no certificate found; give the client certificate (PEM or DER, ideally with its chain, e.g. fullchain.pem).");
        }

        var leaf = chain[0];
        if (leaf.GetBasicConstraints() >= 0)
        {
            throw new NotValidException($"{request.CertificatePath}: the first certificate is a CA certificate, not a client certificate; give the client's certificate first.");
        }

        var ca = PkiObjectReader.ReadCertificates(request.CaPath);
        if (ca.Count == 0)
        {
            throw new BadInputException($"{request.CaPath}: no certificate found; give the CA that signs the servers (PEM or DER).");
        }

        foreach (var certificate in ca)
        {
            if (certificate.GetBasicConstraints() < 0)
            {
                throw new NotValidException($"{request.CaPath}: '{certificate.SubjectDN}' is not a CA certificate (no basicConstraints cA); give the CA that signs the servers, not a leaf.");
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (!request.AllowExpired && (leaf.NotAfter < now || leaf.NotBefore > now))
        {
            var when = leaf.NotAfter < now ? $"expired at {leaf.NotAfter:yyyy-MM-ddTHH:mm:ssZ}" : $"is not valid before {leaf.NotBefore:yyyy-MM-ddTHH:mm:ssZ}";
            throw new NotValidException($"{request.CertificatePath}: the client certificate {when}; issue a fresh one (or pass --allow-expired to configure it anyway).");
        }

        if (request.KeyPath.StartsWith("pkcs11:", StringComparison.OrdinalIgnoreCase))
        {
            // The token holds the key; whether it matches is for the tool that opens the token to find out.
            return new MtlsIdentity(chain, ca, null, request.KeyPath);
        }

        using var key = PrivateKeyCodec.Read(PkiObjectReader.ReadFile(request.KeyPath), request.KeyPath, request.KeyPassphrase);
        if (!key.SubjectPublicKeyInfo.AsSpan().SequenceEqual(leaf.CertificateStructure.SubjectPublicKeyInfo.GetEncoded()))
        {
            throw new BadInputException($"{request.KeyPath}: this key does not belong to the certificate in {request.CertificatePath}; give the key that was issued with it.");
        }

        return new MtlsIdentity(chain, ca, key.ExportPkcs8(), null);
    }

    public void Dispose()
    {
        if (pkcs8 is not null)
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
