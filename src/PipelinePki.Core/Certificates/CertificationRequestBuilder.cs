using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkcs;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Certificates;

/// <summary>
/// PKCS#10 requests (RFC 2986) signed by any <see cref="ISigningKey"/>: the way a key that must stay
/// where it is (made on the runner for Vault's <c>sign</c> or ACME's finalize, in memory for an
/// ephemeral signer, on disk for <c>cert renew --reuse-key</c>, in a token) gets certified by a
/// source that takes a CSR. The key never leaves the process.
/// </summary>
public static class CertificationRequestBuilder
{
    /// <summary>
    /// DER CSR with subject <c>CN=<paramref name="commonName"/></c> (an empty subject when there is
    /// none) and the names, when any, in an extensionRequest attribute.
    /// </summary>
    public static byte[] Build(ISigningKey key, string? commonName, IReadOnlyList<SubjectAlternativeName> names)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(names);
        var subject = string.IsNullOrEmpty(commonName)
            ? new X509Name(new List<DerObjectIdentifier>(), new List<string>())
            : CertificateFactory.LeafName(commonName);
        var attributes = new DerSet();
        if (names.Count > 0)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(names.Select(CertificateFactory.ToGeneralName).ToArray()));
            attributes = new DerSet(new AttributePkcs(PkcsObjectIdentifiers.Pkcs9AtExtensionRequest, new DerSet(extensions.Generate())));
        }

        var request = new Pkcs10CertificationRequest(
            new KeySignatureFactory(key),
            subject,
            SubjectPublicKeyInfo.GetInstance(key.SubjectPublicKeyInfo),
            attributes);
        return request.GetEncoded();
    }

    /// <summary>The same request as PEM (<c>CERTIFICATE REQUEST</c>), as Vault's sign endpoint takes it.</summary>
    public static string BuildPem(ISigningKey key, string? commonName, IReadOnlyList<SubjectAlternativeName> names) =>
        Pem.Encode("CERTIFICATE REQUEST", Build(key, commonName, names));
}
