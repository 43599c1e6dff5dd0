using System.Net;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Certificates;

/// <summary>URLs a CA writes into what it issues, so relying parties can find CRLs and issuers.</summary>
public sealed record PublicationUrls(string? CrlUrl = null, string? IssuerCertificateUrl = null, string? OcspUrl = null);

/// <summary>
/// Builds RFC 5280 certificates. BouncyCastle writes the ASN.1; the signature comes from any
/// <see cref="ISigningKey"/>, so software and hardware CA keys go through the same code.
/// </summary>
internal static class CertificateFactory
{
    /// <summary>Serial numbers: 16 random octets with the top bit cleared, so always positive, ≥ 64 random bits (here 127) and well under 20 octets.</summary>
    public static BigInteger NewSerialNumber()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[0] &= 0x7F;
        // A leading zero octet would make the DER INTEGER shorter than 16 octets; harmless, but a
        // non-zero high bit keeps every serial the same length, which log readers appreciate.
        bytes[0] |= 0x40;
        return new BigInteger(1, bytes.ToArray());
    }

    public static X509Name CaName(string organisation, string commonName) =>
        new([X509Name.O, X509Name.CN], [organisation, commonName]);

    public static X509Name LeafName(string commonName) => new([X509Name.CN], [commonName]);

    public static X509Certificate CreateRoot(ISigningKey key, X509Name subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var generator = Start(NewSerialNumber(), subject, subject, key.SubjectPublicKeyInfo, notBefore, notAfter);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(true));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, SubjectKeyIdentifierFor(key.SubjectPublicKeyInfo));
        return generator.Generate(new KeySignatureFactory(key));
    }

    public static X509Certificate CreateIntermediate(
        ISigningKey rootKey,
        X509Certificate root,
        byte[] intermediatePublicKey,
        X509Name subject,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        IReadOnlyList<string> permittedDns,
        IReadOnlyList<string> permittedUris,
        PublicationUrls rootUrls)
    {
        var generator = Start(NewSerialNumber(), root.SubjectDN, subject, intermediatePublicKey, notBefore, notAfter);
        // pathLen 0: the issuing CA signs leaves only, never another CA.
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(0));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, SubjectKeyIdentifierFor(intermediatePublicKey));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, AuthorityKeyIdentifierFor(root));
        if (permittedDns.Count > 0 || permittedUris.Count > 0)
        {
            var subtrees = permittedDns.Select(d => new GeneralSubtree(new GeneralName(GeneralName.DnsName, d)))
                .Concat(permittedUris.Select(u => new GeneralSubtree(new GeneralName(GeneralName.UniformResourceIdentifier, u))))
                .ToArray();
            generator.AddExtension(X509Extensions.NameConstraints, true, new NameConstraints(new GeneralSubtrees(subtrees), null));
        }

        AddPublicationUrls(generator, rootUrls);
        return generator.Generate(new KeySignatureFactory(rootKey));
    }

    public static X509Certificate CreateLeaf(
        ISigningKey issuerKey,
        X509Certificate issuer,
        byte[] subjectPublicKey,
        KeySpec subjectKeySpec,
        X509Name subject,
        IReadOnlyList<SubjectAlternativeName> names,
        CertificateProfile profile,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        BigInteger serial,
        PublicationUrls urls)
    {
        var generator = Start(serial, issuer.SubjectDN, subject, subjectPublicKey, notBefore, notAfter);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsageFor(profile, subjectKeySpec)));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(ExtendedKeyUsagesFor(profile)));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, SubjectKeyIdentifierFor(subjectPublicKey));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, AuthorityKeyIdentifierFor(issuer));
        if (names.Count > 0)
        {
            generator.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames(names.Select(ToGeneralName).ToArray()));
        }

        AddPublicationUrls(generator, urls);
        return generator.Generate(new KeySignatureFactory(issuerKey));
    }

    public static int KeyUsageFor(CertificateProfile profile, KeySpec keySpec)
    {
        // RSA key transport (TLS 1.2 RSA key exchange) needs keyEncipherment on server certificates;
        // ECDSA and Ed25519 keys only ever sign.
        var usage = KeyUsage.DigitalSignature;
        if (keySpec.Family == KeyAlgorithmFamily.Rsa && profile is CertificateProfile.Server or CertificateProfile.Mtls)
        {
            usage |= KeyUsage.KeyEncipherment;
        }

        return usage;
    }

    public static KeyPurposeID[] ExtendedKeyUsagesFor(CertificateProfile profile) => profile switch
    {
        CertificateProfile.Client => [KeyPurposeID.id_kp_clientAuth],
        CertificateProfile.Server => [KeyPurposeID.id_kp_serverAuth],
        CertificateProfile.Mtls => [KeyPurposeID.id_kp_clientAuth, KeyPurposeID.id_kp_serverAuth],
        CertificateProfile.CodeSigning => [KeyPurposeID.id_kp_codeSigning],
        _ => throw new ArgumentOutOfRangeException(nameof(profile)),
    };

    public static GeneralName ToGeneralName(SubjectAlternativeName name) => name.Type switch
    {
        SanType.Dns => new GeneralName(GeneralName.DnsName, name.Value),
        SanType.Ip => new GeneralName(GeneralName.IPAddress, new DerOctetString(IPAddress.Parse(name.Value).GetAddressBytes())),
        SanType.Uri => new GeneralName(GeneralName.UniformResourceIdentifier, name.Value),
        SanType.Email => new GeneralName(GeneralName.Rfc822Name, name.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public static SubjectKeyIdentifier SubjectKeyIdentifierFor(byte[] subjectPublicKeyInfo)
    {
        // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents.
        var info = SubjectPublicKeyInfo.GetInstance(subjectPublicKeyInfo);
        return new SubjectKeyIdentifier(SHA1.HashData(info.PublicKey.GetBytes()));
    }

    public static AuthorityKeyIdentifier AuthorityKeyIdentifierFor(X509Certificate issuer)
    {
        var ski = issuer.GetExtensionValue(X509Extensions.SubjectKeyIdentifier);
        var keyId = ski is not null
            ? SubjectKeyIdentifier.GetInstance(Asn1Object.FromByteArray(ski.GetOctets())).GetKeyIdentifier()
            : SubjectKeyIdentifierFor(issuer.CertificateStructure.SubjectPublicKeyInfo.GetEncoded()).GetKeyIdentifier();
        return new AuthorityKeyIdentifier(keyId);
    }

    private static X509V3CertificateGenerator Start(
        BigInteger serial, X509Name issuer, X509Name subject, byte[] subjectPublicKeyInfo, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(serial);
        generator.SetIssuerDN(issuer);
        generator.SetSubjectDN(subject);
        generator.SetNotBefore(WholeSeconds(notBefore));
        generator.SetNotAfter(WholeSeconds(notAfter));
        generator.SetSubjectPublicKeyInfo(SubjectPublicKeyInfo.GetInstance(subjectPublicKeyInfo));
        return generator;
    }

    private static void AddPublicationUrls(X509V3CertificateGenerator generator, PublicationUrls urls)
    {
        if (urls.CrlUrl is not null)
        {
            var point = new DistributionPoint(
                new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.UniformResourceIdentifier, urls.CrlUrl))), null, null);
            generator.AddExtension(X509Extensions.CrlDistributionPoints, false, new CrlDistPoint([point]));
        }

        var access = new List<AccessDescription>();
        if (urls.OcspUrl is not null)
        {
            access.Add(new AccessDescription(AccessDescription.IdADOcsp, new GeneralName(GeneralName.UniformResourceIdentifier, urls.OcspUrl)));
        }

        if (urls.IssuerCertificateUrl is not null)
        {
            access.Add(new AccessDescription(AccessDescription.IdADCAIssuers, new GeneralName(GeneralName.UniformResourceIdentifier, urls.IssuerCertificateUrl)));
        }

        if (access.Count > 0)
        {
            generator.AddExtension(X509Extensions.AuthorityInfoAccess, false, new AuthorityInformationAccess(access.ToArray()));
        }
    }

    /// <summary>DER times carry whole seconds; truncating here keeps what we record equal to what we sign.</summary>
    public static DateTime WholeSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
}
