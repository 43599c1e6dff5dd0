using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Http;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>
/// A throwaway two-tier CA made by the product, opened up for OCSP tests: its certificates and
/// keys as BouncyCastle objects, leaves it issued, and responder certificates built here.
/// </summary>
internal sealed class OcspTestPki
{
    private OcspTestPki(string home, LocalAuthority authority, X509Certificate root, AsymmetricKeyParameter rootKey, X509Certificate intermediate, AsymmetricKeyParameter intermediateKey)
    {
        Home = home;
        Authority = authority;
        Root = root;
        RootKey = rootKey;
        Intermediate = intermediate;
        IntermediateKey = intermediateKey;
    }

    public string Home { get; }

    public LocalAuthority Authority { get; }

    public X509Certificate Root { get; }

    public AsymmetricKeyParameter RootKey { get; }

    /// <summary>The issuing CA: leaves are its children, so it is the "issuer" of every OCSP question here.</summary>
    public X509Certificate Intermediate { get; }

    public AsymmetricKeyParameter IntermediateKey { get; }

    public string RootPem => Path.Combine(Home, "root.pem");

    public string IntermediatePem => Path.Combine(Home, "intermediate.pem");

    public string IntermediateKeyPem => Path.Combine(Home, "intermediate.key.pem");

    public static async Task<OcspTestPki> CreateAsync(string home, FakeTimeProvider time)
    {
        var authority = await ThrowawayCa.CreateAsync(home, time);
        return new OcspTestPki(
            home,
            authority,
            PkiObjectReader.ReadSingleCertificate(Path.Combine(home, "root.pem")),
            TestSigningKeys.ReadPrivateKey(Path.Combine(home, "root.key.pem")),
            PkiObjectReader.ReadSingleCertificate(Path.Combine(home, "intermediate.pem")),
            TestSigningKeys.ReadPrivateKey(Path.Combine(home, "intermediate.key.pem")));
    }

    public async Task<X509Certificate> IssueLeafAsync(string name)
    {
        using var issued = await Authority.IssueAsync(ThrowawayCa.Request(name, sans: $"dns:{name}.example"), CancellationToken.None);
        return new X509Certificate(issued.Certificate.RawData);
    }

    /// <summary>A delegated responder certificate, issued by <paramref name="issuer"/> (the intermediate unless given), with a fresh P-256 key.</summary>
    public (X509Certificate Certificate, AsymmetricKeyParameter Key) NewResponder(
        DateTimeOffset now,
        bool ocspSigning = true,
        bool noCheck = true,
        X509Certificate? issuer = null,
        AsymmetricKeyParameter? issuerKey = null,
        TimeSpan? notBeforeOffset = null,
        TimeSpan? lifetime = null,
        string commonName = "Test OCSP Responder")
    {
        issuer ??= Intermediate;
        issuerKey ??= IntermediateKey;
        var pair = TestSigningKeys.NewP256();
        var notBefore = now + (notBeforeOffset ?? TimeSpan.FromHours(-1));
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(BigInteger.ValueOf(Random.Shared.NextInt64(1, long.MaxValue)));
        generator.SetIssuerDN(issuer.SubjectDN);
        generator.SetSubjectDN(new X509Name($"O=Test CI,CN={commonName}"));
        generator.SetNotBefore(notBefore.UtcDateTime);
        generator.SetNotAfter((notBefore + (lifetime ?? TimeSpan.FromDays(2))).UtcDateTime);
        generator.SetPublicKey(pair.Public);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(pair.Public));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, X509ExtensionUtilities.CreateAuthorityKeyIdentifier(issuer));
        generator.AddExtension(
            X509Extensions.ExtendedKeyUsage,
            false,
            new ExtendedKeyUsage(ocspSigning ? [KeyPurposeID.id_kp_OCSPSigning] : [KeyPurposeID.id_kp_serverAuth, KeyPurposeID.id_kp_clientAuth]));
        if (noCheck)
        {
            generator.AddExtension(OcspObjectIdentifiers.PkixOcspNocheck, false, DerNull.Instance);
        }

        var certificate = generator.Generate(new Asn1SignatureFactory(TestSigningKeys.SignatureAlgorithmFor(issuerKey), issuerKey));
        return (certificate, pair.Private);
    }

    public static string WritePem(string path, X509Certificate certificate)
    {
        File.WriteAllText(path, Pem.Encode("CERTIFICATE", certificate.GetEncoded()));
        return path;
    }

    public static string WriteKeyPem(string path, AsymmetricKeyParameter key)
    {
        var info = Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(key);
        File.WriteAllText(path, Pem.Encode("PRIVATE KEY", info.GetEncoded()));
        return path;
    }
}
