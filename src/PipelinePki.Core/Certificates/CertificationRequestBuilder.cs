using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkcs;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Certificates;

/// <summary>
/// PKCS#10 requests for keys this tool holds, so a remote CA (Vault's <c>sign</c>, ACME's finalize)
/// certifies a key that never leaves the runner.
/// </summary>
public static class CertificationRequestBuilder
{
    /// <summary>A PEM CSR with subject CN=<paramref name="commonName"/> and the names as an extensionRequest.</summary>
    public static string BuildPem(ISigningKey key, string commonName, IReadOnlyList<SubjectAlternativeName> names)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(names);
        Asn1Set? attributes = null;
        if (names.Count > 0)
        {
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(names.Select(CertificateFactory.ToGeneralName).ToArray()));
            attributes = new DerSet(new AttributePkcs(PkcsObjectIdentifiers.Pkcs9AtExtensionRequest, new DerSet(extensions.Generate())));
        }

        var request = new Pkcs10CertificationRequest(
            new KeySignatureFactory(key),
            CertificateFactory.LeafName(commonName),
            SubjectPublicKeyInfo.GetInstance(key.SubjectPublicKeyInfo),
            attributes);
        return Pem.Encode("CERTIFICATE REQUEST", request.GetEncoded());
    }
}
