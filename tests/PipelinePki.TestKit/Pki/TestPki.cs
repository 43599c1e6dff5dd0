using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;

namespace PipelinePki.TestKit.Pki;

/// <summary>
/// Builds arbitrary test PKIs with BouncyCastle directly (not through the product), so tests can
/// make certificates and CRLs the product would never issue: broken, odd, or merely unusual.
/// Every key is generated per run. All times are relative to <see cref="Now"/>, whole seconds.
/// <code>
/// var pki = new TestPki();
/// var root = pki.Root("Root CA").Build();
/// var ca = pki.Intermediate("Issuing CA", root).Ca(pathLen: 0).PermitDns("example.com").Build();
/// var leaf = pki.Leaf("Leaf", ca).Dns("www.example.com").Build();
/// var crl = pki.Crl(ca).Revoke(leaf, CrlReason.KeyCompromise).Build();
/// </code>
/// </summary>
public sealed class TestPki
{
    public const string AnyPolicy = "2.5.29.32.0";

    /// <summary>An OID under a private arc no verifier recognises.</summary>
    public const string UnknownExtensionOid = "1.3.6.1.4.1.55555.99.1";

    /// <summary>All reason bits of RFC 5280 §5.2.5 onlySomeReasons / §4.2.1.13 reasons (unused excluded).</summary>
    public const int AllReasons =
        ReasonFlags.KeyCompromise | ReasonFlags.CACompromise | ReasonFlags.AffiliationChanged | ReasonFlags.Superseded |
        ReasonFlags.CessationOfOperation | ReasonFlags.CertificateHold | ReasonFlags.PrivilegeWithdrawn | ReasonFlags.AACompromise;

    private long serial = 0x1000;

    public TestPki(DateTimeOffset? now = null, TestKeyAlgorithm defaultAlgorithm = TestKeyAlgorithm.EcP256)
    {
        Now = WholeSecondsOffset(now ?? DateTimeOffset.UtcNow);
        DefaultAlgorithm = defaultAlgorithm;
    }

    /// <summary>The moment the PKI is valid at; verify with this time (<c>-attime</c>, <c>VerifyRequest.At</c>).</summary>
    public DateTimeOffset Now { get; }

    public TestKeyAlgorithm DefaultAlgorithm { get; }

    public static X509Name Name(string commonName) => new($"CN={commonName}");

    /// <summary>Self-signed CA: critical CA basicConstraints without pathLen, critical keyCertSign|cRLSign, SKI.</summary>
    public CertificateBuilder Root(string commonName) => Root(Name(commonName));

    public CertificateBuilder Root(X509Name subject) =>
        new CertificateBuilder(this, subject, "root").SelfSigned().Ca().KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign);

    /// <summary>CA issued by <paramref name="issuer"/>: critical CA basicConstraints, critical keyCertSign|cRLSign, SKI, AKI.</summary>
    public CertificateBuilder Intermediate(string commonName, TestCertificate issuer) => Intermediate(Name(commonName), issuer);

    public CertificateBuilder Intermediate(X509Name subject, TestCertificate issuer) =>
        new CertificateBuilder(this, subject, "intermediate").IssuedBy(issuer).Ca().KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign);

    /// <summary>End entity: critical cA FALSE, critical digitalSignature, SKI, AKI; no EKU and no SAN unless added.</summary>
    public CertificateBuilder Leaf(string commonName, TestCertificate issuer) => Leaf(Name(commonName), issuer);

    public CertificateBuilder Leaf(X509Name subject, TestCertificate issuer) =>
        new CertificateBuilder(this, subject, "leaf").IssuedBy(issuer).EndEntity().KeyUsage(KeyUsage.DigitalSignature);

    /// <summary>No extensions at all except SKI/AKI; everything is up to the caller.</summary>
    public CertificateBuilder Certificate(X509Name subject, TestCertificate? issuer)
    {
        var builder = new CertificateBuilder(this, subject, "certificate");
        return issuer is null ? builder.SelfSigned() : builder.IssuedBy(issuer);
    }

    /// <summary>
    /// A cross-certificate: <paramref name="subjectCa"/>'s name and key, certified by <paramref name="issuer"/>
    /// (another CA). With <c>issuer</c> having the same name as the subject it is a self-issued certificate.
    /// </summary>
    public CertificateBuilder CrossCertificate(TestCertificate subjectCa, TestCertificate issuer) =>
        new CertificateBuilder(this, subjectCa.SubjectName, "cross").IssuedBy(issuer).WithKey(subjectCa.Key)
            .Ca().KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign);

    /// <summary>
    /// Key rollover (RFC 4210 §4.4 "new with old"): <paramref name="newKey"/> certified under <paramref name="oldCa"/>'s
    /// name by the old key. The result is self-issued (issuer = subject) but not self-signed.
    /// </summary>
    public CertificateBuilder RolloverCertificate(TestCertificate oldCa, TestKey newKey) =>
        new CertificateBuilder(this, oldCa.SubjectName, "rollover").IssuedBy(oldCa).WithKey(newKey)
            .Ca().KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign);

    /// <summary>A direct, complete CRL of <paramref name="issuer"/> (see <see cref="CrlBuilder"/> for defaults).</summary>
    public CrlBuilder Crl(TestCertificate issuer) => new(this, issuer, issuer.Label + "-crl");

    /// <summary>Writes certificates, concatenated, as one PEM bundle (for -CAfile and -untrusted).</summary>
    public static string WriteBundle(TempDirectory directory, string fileName, IEnumerable<TestCertificate> certificates)
    {
        var path = directory.Combine(fileName);
        File.WriteAllText(path, string.Concat(certificates.Select(c => c.ToPem())));
        return path;
    }

    internal BigInteger NextSerial() => BigInteger.ValueOf(Interlocked.Increment(ref serial));

    internal static DistributionPoint DistributionPoint(string? uri, string? crlIssuer, int? reasons) =>
        new(
            uri is null ? null : new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.UniformResourceIdentifier, uri))),
            reasons is { } r ? new ReasonFlags(r) : null,
            crlIssuer is null ? null : new GeneralNames(new GeneralName(new X509Name(crlIssuer))));

    /// <summary>DER times carry whole seconds; truncating keeps what tests compare equal to what was signed.</summary>
    internal static DateTime WholeSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);

    private static DateTimeOffset WholeSecondsOffset(DateTimeOffset time) => new(WholeSeconds(time), TimeSpan.Zero);
}
