using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Signing;

/// <summary>What an ephemeral signer is asked for: its name, SANs (a CI identity URI, typically), lifetime and key type.</summary>
public sealed record EphemeralSignerRequest(
    string CommonName,
    IReadOnlyList<SubjectAlternativeName> SubjectAlternativeNames,
    TimeSpan Lifetime,
    KeySpec KeySpec,
    Requester Requester)
{
    /// <summary>Long enough to sign a release, short enough that a stolen process image is worth little.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(15);
}

/// <summary>A key that exists only in this process, and the code-signing certificate a source issued for it.</summary>
public sealed class EphemeralSigningIdentity(IExportableKey key, X509Certificate certificate, IReadOnlyList<X509Certificate> chain, InventoryRecord record) : IDisposable
{
    public ISigningKey Key => key;

    public X509Certificate Certificate { get; } = certificate;

    /// <summary>Intermediates, leaf-most first.</summary>
    public IReadOnlyList<X509Certificate> Chain { get; } = chain;

    public InventoryRecord Record { get; } = record;

    public void Dispose() => key.Dispose();
}

/// <summary>
/// Keyless-style signing on a private CA: a fresh key is generated in memory, certified for code
/// signing for a few minutes through a CSR by whatever <see cref="ICertificateSource"/> is given
/// (local CA, Vault, ACME...), used, and dropped with the process. The key is never exported or
/// written; signatures outlive the certificate only through their RFC 3161 timestamps, which is
/// why callers must timestamp.
/// </summary>
public sealed class EphemeralSigner(ICertificateSource source)
{
    public async Task<EphemeralSigningIdentity> CreateAsync(EphemeralSignerRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.KeySpec.Family == KeyAlgorithmFamily.Ed25519)
        {
            // Sigstore verifiers and the streaming digest path both need a key that signs a digest.
            throw new UsageException("--key-type: an ephemeral signer needs an ECDSA or RSA key (ed25519 cannot sign a precomputed digest).");
        }

        var key = KeyGenerator.Generate(request.KeySpec);
        try
        {
            var csr = CertificationRequestBuilder.Build(key, request.CommonName, []);
            using var issued = await source.IssueAsync(
                new IssueRequest(
                    request.CommonName,
                    request.SubjectAlternativeNames,
                    CertificateProfile.CodeSigning,
                    request.Lifetime,
                    request.KeySpec,
                    request.Requester,
                    new CertificationRequestInput(csr, "ephemeral key (in memory)")),
                cancellationToken).ConfigureAwait(false);
            if (!issued.Certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
            {
                throw new RemoteFailureException(source.Name, $"the {source.Name} source certified a different key than the ephemeral key it was sent; refusing to sign with it.");
            }

            var certificate = PkiObjectReader.ParseCertificate(issued.Certificate.RawData, "ephemeral certificate");
            var chain = issued.Chain.Select(c => PkiObjectReader.ParseCertificate(c.RawData, "ephemeral chain")).ToList();
            return new EphemeralSigningIdentity(key, certificate, chain, issued.Record);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
