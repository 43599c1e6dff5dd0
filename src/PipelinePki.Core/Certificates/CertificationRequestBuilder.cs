using System.Net;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkcs;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Certificates;

/// <summary>
/// Builds PKCS#10 requests (RFC 2986) signed by any <see cref="ISigningKey"/>, for sources that
/// certify a key made on the runner (ACME finalize, Vault sign): the key never leaves the process.
/// </summary>
public static class CertificationRequestBuilder
{
    /// <summary>DER CSR with subject <c>CN=<paramref name="commonName"/></c> (omitted when empty) and the names in an extensionRequest.</summary>
    public static byte[] Build(ISigningKey key, string? commonName, IReadOnlyList<SubjectAlternativeName> names)
    {
        var subject = string.IsNullOrEmpty(commonName)
            ? new X509Name(new List<DerObjectIdentifier>(), new List<string>())
            : CertificateFactory.LeafName(commonName);
        DerSet attributes = new();
        if (names.Count > 0)
        {
            var generalNames = new GeneralNames(names.Select(ToGeneralName).ToArray());
            var extensions = new X509ExtensionsGenerator();
            extensions.AddExtension(X509Extensions.SubjectAlternativeName, false, generalNames);
            attributes = new DerSet(new AttributePkcs(PkcsObjectIdentifiers.Pkcs9AtExtensionRequest, new DerSet(extensions.Generate())));
        }

        var request = new Pkcs10CertificationRequest(
            new KeySignatureFactory(key),
            subject,
            SubjectPublicKeyInfo.GetInstance(key.SubjectPublicKeyInfo),
            attributes);
        return request.GetEncoded();
    }

    private static GeneralName ToGeneralName(SubjectAlternativeName name) => name.Type switch
    {
        SanType.Dns => new GeneralName(GeneralName.DnsName, name.Value),
        SanType.Ip => new GeneralName(GeneralName.IPAddress, new DerOctetString(IPAddress.Parse(name.Value).GetAddressBytes())),
        SanType.Uri => new GeneralName(GeneralName.UniformResourceIdentifier, name.Value),
        SanType.Email => new GeneralName(GeneralName.Rfc822Name, name.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
