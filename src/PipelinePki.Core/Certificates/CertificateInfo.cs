using System.Net;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.X509;

namespace PipelinePki.Core.Certificates;

/// <summary>A certificate described for people and machines (<c>cert inspect</c>, issuance results).</summary>
public sealed record CertificateInfo(
    string Subject,
    string Issuer,
    string Serial,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string KeyType,
    string SignatureAlgorithm,
    IReadOnlyList<string> SubjectAlternativeNames,
    bool IsCertificateAuthority,
    int? PathLengthConstraint,
    IReadOnlyList<string> KeyUsage,
    IReadOnlyList<string> ExtendedKeyUsage,
    string? SubjectKeyIdentifier,
    string? AuthorityKeyIdentifier,
    IReadOnlyList<string> CrlDistributionPoints,
    IReadOnlyList<string> AuthorityInformationAccess,
    IReadOnlyList<string> PermittedNames,
    bool SelfSigned,
    string Sha256Fingerprint);

/// <summary>Reads facts out of certificates and names for display and for the inventory.</summary>
public static class CertificateDescriber
{
    private static readonly string[] KeyUsageNames =
    [
        "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
        "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
    ];

    public static CertificateInfo Describe(X509Certificate certificate)
    {
        var der = certificate.GetEncoded();
        var basic = certificate.GetBasicConstraints();
        var keyUsage = certificate.GetKeyUsage();
        var usages = new List<string>();
        if (keyUsage is not null)
        {
            for (var i = 0; i < keyUsage.Length && i < KeyUsageNames.Length; i++)
            {
                if (keyUsage[i])
                {
                    usages.Add(KeyUsageNames[i]);
                }
            }
        }

        var ekus = certificate.GetExtendedKeyUsage()?.Select(o => ExtendedKeyUsageName(o.Id)).ToList() ?? [];
        var ext = certificate.CertificateStructure.TbsCertificate.Extensions;
        return new CertificateInfo(
            Subject: FormatName(certificate.SubjectDN),
            Issuer: FormatName(certificate.IssuerDN),
            Serial: FormatSerial(certificate.SerialNumber),
            NotBefore: new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            NotAfter: new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            KeyType: KeyTypeOf(certificate.CertificateStructure.SubjectPublicKeyInfo),
            SignatureAlgorithm: SignatureAlgorithmName(certificate.SigAlgOid),
            SubjectAlternativeNames: SubjectAlternativeNamesOf(ext),
            IsCertificateAuthority: basic >= 0,
            PathLengthConstraint: basic >= 0 && basic != int.MaxValue ? basic : null,
            KeyUsage: usages,
            ExtendedKeyUsage: ekus,
            SubjectKeyIdentifier: ext?.GetExtension(X509Extensions.SubjectKeyIdentifier) is { } ski
                ? Hex(SubjectKeyIdentifier.GetInstance(ski.GetParsedValue()).GetKeyIdentifier()) : null,
            AuthorityKeyIdentifier: ext?.GetExtension(X509Extensions.AuthorityKeyIdentifier) is { } aki
                && Org.BouncyCastle.Asn1.X509.AuthorityKeyIdentifier.GetInstance(aki.GetParsedValue()).KeyIdentifier is { } akiBytes
                ? Hex(akiBytes.GetOctets()) : null,
            CrlDistributionPoints: CrlDistributionPointsOf(ext),
            AuthorityInformationAccess: AuthorityInformationAccessOf(ext),
            PermittedNames: PermittedNamesOf(ext),
            SelfSigned: certificate.SubjectDN.Equivalent(certificate.IssuerDN),
            Sha256Fingerprint: Fingerprint(der));
    }

    /// <summary>RFC 4514 order (most specific first), as people read names: <c>CN=build, O=Example</c>.</summary>
    public static string FormatName(X509Name name) => name.ToString(true, X509Name.DefaultSymbols).Replace(",", ", ", StringComparison.Ordinal);

    /// <summary>Upper-case hex without separators, as <c>openssl x509 -serial</c> prints it.</summary>
    public static string FormatSerial(Org.BouncyCastle.Math.BigInteger serial) => serial.ToString(16).ToUpperInvariant() switch
    {
        var s when s.Length % 2 == 1 => "0" + s,
        var s => s,
    };

    public static string Fingerprint(byte[] der) => Convert.ToHexString(Encoding.ManagedDigest.Sha256(der));

    public static string Hex(byte[] bytes) => Convert.ToHexString(bytes);

    public static string KeyTypeOf(SubjectPublicKeyInfo info)
    {
        var oid = info.Algorithm.Algorithm.Id;
        switch (oid)
        {
            case "1.2.840.10045.2.1":
                var curve = info.Algorithm.Parameters is DerObjectIdentifier c ? c.Id : "?";
                return curve switch
                {
                    "1.2.840.10045.3.1.7" => "ecdsa-p256",
                    "1.3.132.0.34" => "ecdsa-p384",
                    "1.3.132.0.35" => "ecdsa-p521",
                    _ => $"ecdsa ({curve})",
                };
            case "1.2.840.113549.1.1.1":
                var rsa = Org.BouncyCastle.Asn1.X509.RsaPublicKeyStructure.GetInstance(info.ParsePublicKey());
                return $"rsa-{rsa.Modulus.BitLength}";
            case "1.3.101.112":
                return "ed25519";
            default:
                return oid;
        }
    }

    public static string SignatureAlgorithmName(string oid) => oid switch
    {
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassa-pss",
        "1.3.101.112" => "ed25519",
        _ => oid,
    };

    public static string ExtendedKeyUsageName(string oid) => oid switch
    {
        "1.3.6.1.5.5.7.3.1" => "serverAuth",
        "1.3.6.1.5.5.7.3.2" => "clientAuth",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        "2.5.29.37.0" => "anyExtendedKeyUsage",
        _ => oid,
    };

    public static IReadOnlyList<string> SubjectAlternativeNamesOf(X509Extensions? extensions)
    {
        var extension = extensions?.GetExtension(X509Extensions.SubjectAlternativeName);
        return extension is null ? [] : GeneralNames.GetInstance(extension.GetParsedValue()).GetNames().Select(FormatGeneralName).ToList();
    }

    public static string FormatGeneralName(GeneralName name) => name.TagNo switch
    {
        GeneralName.DnsName => $"dns:{DerIA5String.GetInstance(name.Name).GetString()}",
        GeneralName.UniformResourceIdentifier => $"uri:{DerIA5String.GetInstance(name.Name).GetString()}",
        GeneralName.Rfc822Name => $"email:{DerIA5String.GetInstance(name.Name).GetString()}",
        GeneralName.IPAddress => FormatIp(Asn1OctetString.GetInstance(name.Name).GetOctets()),
        GeneralName.DirectoryName => $"dirname:{FormatName(X509Name.GetInstance(name.Name))}",
        _ => $"other:{name.TagNo}",
    };

    private static string FormatIp(byte[] octets) => octets.Length switch
    {
        4 or 16 => $"ip:{new IPAddress(octets)}",
        // Name constraints carry address + mask.
        8 => $"ip:{new IPAddress(octets[..4])}/{new IPAddress(octets[4..])}",
        32 => $"ip:{new IPAddress(octets[..16])}/{new IPAddress(octets[16..])}",
        _ => $"ip:{Convert.ToHexString(octets)}",
    };

    private static List<string> CrlDistributionPointsOf(X509Extensions? extensions)
    {
        var extension = extensions?.GetExtension(X509Extensions.CrlDistributionPoints);
        if (extension is null)
        {
            return [];
        }

        return CrlDistPoint.GetInstance(extension.GetParsedValue()).GetDistributionPoints()
            .Where(p => p.DistributionPointName?.Type == DistributionPointName.FullName)
            .SelectMany(p => GeneralNames.GetInstance(p.DistributionPointName.Name).GetNames())
            .Select(FormatGeneralName)
            .ToList();
    }

    private static List<string> AuthorityInformationAccessOf(X509Extensions? extensions)
    {
        var extension = extensions?.GetExtension(X509Extensions.AuthorityInfoAccess);
        if (extension is null)
        {
            return [];
        }

        return Org.BouncyCastle.Asn1.X509.AuthorityInformationAccess.GetInstance(extension.GetParsedValue()).GetAccessDescriptions()
            .Select(a => $"{(a.AccessMethod.Equals(AccessDescription.IdADOcsp) ? "OCSP" : "caIssuers")} {FormatGeneralName(a.AccessLocation)}")
            .ToList();
    }

    private static List<string> PermittedNamesOf(X509Extensions? extensions)
    {
        var extension = extensions?.GetExtension(X509Extensions.NameConstraints);
        if (extension is null)
        {
            return [];
        }

        var constraints = NameConstraints.GetInstance(extension.GetParsedValue());
        var permitted = constraints.PermittedSubtreesValue;
        return permitted is null ? [] : permitted.GetElements().Select(s => FormatGeneralName(s.Base)).ToList();
    }

    internal static bool IsNamedCurve(SubjectPublicKeyInfo info) =>
        info.Algorithm.Algorithm.Equals(X9ObjectIdentifiers.IdECPublicKey) && info.Algorithm.Parameters is DerObjectIdentifier;
}
