using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace PipelinePki.Core.Signing.Sigstore;

/// <summary>One certificate authority or TSA in a trusted root: its chain, leaf-most first, root last.</summary>
/// <param name="Chain">DER certificates. For a CA: the issuing (intermediate) CA first, the root last. For a TSA: the TSA certificate first, then its issuers up to the root.</param>
/// <param name="Uri">Optional URI identifying the authority (informational for verifiers).</param>
public sealed record SigstoreAuthority(IReadOnlyList<byte[]> Chain, string? Uri = null);

/// <summary>
/// Writes the Sigstore trusted root (<c>trusted_root.json</c>, protobuf-specs TrustedRoot v0.1) that
/// lets Sigstore verifiers accept our bundles: our CA chain under certificateAuthorities, our TSA chain
/// under timestampAuthorities, and no transparency or CT logs. Each authority's validFor starts at the
/// latest notBefore on its chain (when the whole chain became usable) and is left open-ended.
/// </summary>
public static class SigstoreTrustedRoot
{
    public const string MediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

    public static byte[] Write(IReadOnlyList<SigstoreAuthority> certificateAuthorities, IReadOnlyList<SigstoreAuthority> timestampAuthorities)
    {
        ArgumentNullException.ThrowIfNull(certificateAuthorities);
        ArgumentNullException.ThrowIfNull(timestampAuthorities);
        var document = new TrustedRootDocument
        {
            CertificateAuthorities = certificateAuthorities.Select(Describe).ToList(),
            TimestampAuthorities = timestampAuthorities.Select(Describe).ToList(),
        };
        return JsonSerializer.SerializeToUtf8Bytes(document, SigstoreJson.Default.TrustedRootDocument);
    }

    /// <summary>Convenience for one CA and one TSA.</summary>
    public static byte[] Write(IReadOnlyList<byte[]> caChain, IReadOnlyList<byte[]> tsaChain, string? uri = null) =>
        Write([new SigstoreAuthority(caChain, uri)], [new SigstoreAuthority(tsaChain, uri)]);

    private static CertificateAuthorityDocument Describe(SigstoreAuthority authority)
    {
        ArgumentNullException.ThrowIfNull(authority.Chain);
        if (authority.Chain.Count == 0)
        {
            throw new ArgumentException("an authority needs at least one certificate.", nameof(authority));
        }

        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (var der in authority.Chain)
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(der));
            }

            var first = certificates[0];
            var start = certificates.Max(c => c.NotBefore.ToUniversalTime());
            return new CertificateAuthorityDocument
            {
                Subject = new DistinguishedNameDocument
                {
                    Organization = Attribute(first, "2.5.4.10"),
                    CommonName = Attribute(first, "2.5.4.3"),
                },
                Uri = authority.Uri,
                CertChain = new CertificateChainDocument
                {
                    Certificates = authority.Chain.Select(d => new RawBytesDocument { RawBytes = d }).ToList(),
                },
                ValidFor = new TimeRangeDocument
                {
                    Start = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                },
            };
        }
        catch (CryptographicException e)
        {
            throw new BadInputException("a trusted-root certificate is not a valid X.509 certificate.", e);
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    private static string? Attribute(X509Certificate2 certificate, string oid)
    {
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == oid)
            {
                return rdn.GetSingleElementValue();
            }
        }

        return null;
    }
}
