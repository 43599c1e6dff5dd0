using System.Security.Cryptography.X509Certificates;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Authorities;

/// <summary>Gives a passphrase when one is needed, or null when none was provided. Called lazily so unencrypted keys never ask.</summary>
public delegate ReadOnlyMemory<char>? PassphraseProvider();

/// <summary>A PKCS#10 request given by the caller; the private key stays wherever the caller keeps it.</summary>
public sealed record CertificationRequestInput(byte[] Content, string Source);

/// <summary>What a pipeline asks for. The same record goes to every source (local CA, Vault, ACME).</summary>
public sealed record IssueRequest(
    string CommonName,
    IReadOnlyList<SubjectAlternativeName> SubjectAlternativeNames,
    CertificateProfile Profile,
    TimeSpan Lifetime,
    KeySpec KeySpec,
    Requester Requester,
    CertificationRequestInput? CertificationRequest = null);

/// <summary>What a source returns: the leaf, the intermediates, the trust anchor when known, and the key when the tool made it.</summary>
public sealed class IssuedCertificate(
    X509Certificate2 certificate,
    IReadOnlyList<X509Certificate2> chain,
    X509Certificate2? root,
    IExportableKey? privateKey,
    InventoryRecord record) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    /// <summary>Intermediates, leaf-most first; the root is not included.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; } = chain;

    /// <summary>The trust anchor, when the source knows it (an ACME server usually sends only intermediates).</summary>
    public X509Certificate2? Root { get; } = root;

    /// <summary>The generated key; null when the caller supplied a CSR.</summary>
    public IExportableKey? PrivateKey { get; } = privateKey;

    public InventoryRecord Record { get; } = record;

    public void Dispose()
    {
        PrivateKey?.Dispose();
        Certificate.Dispose();
        Root?.Dispose();
        foreach (var certificate in Chain)
        {
            certificate.Dispose();
        }
    }
}

/// <summary>A place certificates come from.</summary>
public interface ICertificateSource
{
    /// <summary>The name recorded in the inventory and accepted by <c>--source</c>.</summary>
    string Name { get; }

    Task<IssuedCertificate> IssueAsync(IssueRequest request, CancellationToken cancellationToken);
}

public sealed record RevokeRequest(string Serial, string Reason);

/// <summary>An optional ability: sources that can revoke what they issued.</summary>
public interface ICertificateRevoker
{
    Task<InventoryRecord> RevokeAsync(RevokeRequest request, CancellationToken cancellationToken);
}

public enum CrlIssuer
{
    Intermediate,
    Root,
}

public sealed record CrlRequest(CrlIssuer Issuer, TimeSpan Validity);

public sealed record CrlResult(byte[] Der, CrlInfo Info);

/// <summary>An optional ability: sources that publish CRLs themselves.</summary>
public interface ICrlPublisher
{
    Task<CrlResult> PublishCrlAsync(CrlRequest request, CancellationToken cancellationToken);
}
