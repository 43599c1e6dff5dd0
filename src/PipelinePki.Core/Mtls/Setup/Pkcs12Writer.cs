using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// PKCS#12 files for Java (Maven) and NuGet: PBES2 AES-256-CBC with PBKDF2-HMAC-SHA256 and a
/// SHA-256 MAC, which OpenSSL 3 and Java 11+ read without legacy algorithms.
/// </summary>
internal static class Pkcs12Writer
{
    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidRsaEncryption = "1.2.840.113549.1.1.1";

    /// <summary>Java's "trusted key usage" bag attribute: without it, JSSE ignores certificate-only entries of a PKCS#12 trust store.</summary>
    private const string OidOracleTrustedKeyUsage = "2.16.840.1.113894.746875.1.1";
    private const string OidAnyExtendedKeyUsage = "2.5.29.37.0";
    private const int Iterations = 10_000;

    private static readonly PbeParameters Encryption = new(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Iterations);

    /// <summary>The client key and its chain as one private-key entry (alias <c>client</c>).</summary>
    public static byte[] KeyStore(MtlsIdentity identity, string password)
    {
        var pkcs8 = identity.Pkcs8();
        using var key = ImportKey(pkcs8);
        var localKeyId = new Pkcs9LocalKeyId(SHA256.HashData(identity.Chain[0].GetEncoded()).AsSpan(0, 20));
        var alias = new AsnEncodedData(new Oid("1.2.840.113549.1.9.20"), EncodeBmpString("client"));

        var certificates = new Pkcs12SafeContents();
        var first = true;
        foreach (var certificate in identity.Chain)
        {
            using var x509 = X509CertificateLoader.LoadCertificate(certificate.GetEncoded());
            var bag = certificates.AddCertificate(x509);
            if (first)
            {
                bag.Attributes.Add(localKeyId);
                bag.Attributes.Add(alias);
                first = false;
            }
        }

        var keys = new Pkcs12SafeContents();
        var keyBag = keys.AddShroudedKey(key, password, Encryption);
        keyBag.Attributes.Add(localKeyId);
        keyBag.Attributes.Add(alias);

        var builder = new Pkcs12Builder();
        builder.AddSafeContentsEncrypted(certificates, password, Encryption);
        builder.AddSafeContentsUnencrypted(keys);
        builder.SealWithMac(password, HashAlgorithmName.SHA256, Iterations);
        return builder.Encode();
    }

    /// <summary>Trusted certificates only (Java's <c>trustedCertEntry</c>), for <c>javax.net.ssl.trustStore</c>.</summary>
    public static byte[] TrustStore(IEnumerable<byte[]> certificates, string password)
    {
        var contents = new Pkcs12SafeContents();
        var trustedUsage = new AsnEncodedData(new Oid(OidOracleTrustedKeyUsage), EncodeOid(OidAnyExtendedKeyUsage));
        var index = 0;
        foreach (var der in certificates.Distinct(ByteArrayComparer.Instance))
        {
            using var x509 = X509CertificateLoader.LoadCertificate(der);
            var bag = contents.AddCertificate(x509);
            bag.Attributes.Add(trustedUsage);
            bag.Attributes.Add(new AsnEncodedData(new Oid("1.2.840.113549.1.9.20"), EncodeBmpString($"ca-{index++}")));
        }

        var builder = new Pkcs12Builder();
        builder.AddSafeContentsEncrypted(contents, password, Encryption);
        builder.SealWithMac(password, HashAlgorithmName.SHA256, Iterations);
        return builder.Encode();
    }

    private static AsymmetricAlgorithm ImportKey(byte[] pkcs8)
    {
        var algorithm = Pkcs8PrivateKeyInfo.Decode(pkcs8, out _, skipCopy: true).AlgorithmId.Value;
        switch (algorithm)
        {
            case OidEcPublicKey:
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                return ecdsa;
            case OidRsaEncryption:
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                return rsa;
            default:
                throw new BadInputException("the client key is not ECDSA or RSA: PKCS#12 files for Java and NuGet cannot carry it; issue an ECDSA or RSA certificate for these targets.");
        }
    }

    private static byte[] EncodeOid(string oid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteObjectIdentifier(oid);
        return writer.Encode();
    }

    private static byte[] EncodeBmpString(string text)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.BMPString, text);
        return writer.Encode();
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
