using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;

namespace PipelinePki.TestKit.Pki;

/// <summary>
/// Fluent description of one certificate. Defaults come from <see cref="TestPki"/> (root,
/// intermediate or leaf profile); every extension can be changed, omitted or made wrong on purpose.
/// Extensions are written in the order they were first set.
/// </summary>
public sealed class CertificateBuilder
{
    private readonly TestPki pki;
    private readonly List<GeneralName> subjectAltNames = [];
    private readonly List<GeneralSubtree> permitted = [];
    private readonly List<GeneralSubtree> excluded = [];
    private readonly List<PolicyInformation> policies = [];
    private readonly List<(string IssuerDomain, string SubjectDomain)> policyMappings = [];
    private readonly List<DistributionPoint> distributionPoints = [];
    private readonly List<DistributionPoint> freshest = [];
    private readonly List<(DerObjectIdentifier Oid, bool Critical, Asn1Encodable Value)> extra = [];
    private readonly List<KeyPurposeID> extendedKeyUsages = [];

    private X509Name subject;
    private TestCertificate? issuer;
    private X509Name? issuerName;
    private TestKey? signingKey;
    private TestKey? key;
    private TestKeyAlgorithm algorithm;
    private DateTimeOffset notBefore;
    private DateTimeOffset notAfter;
    private BigInteger? serial;
    private string label;

    private (bool Ca, int? PathLen, bool Critical)? basicConstraints;
    private (int Bits, bool Critical)? keyUsage;
    private bool extendedKeyUsageCritical;
    private bool subjectAltNameCritical;
    private bool nameConstraintsCritical = true;
    private bool policiesCritical;
    private int? requireExplicitPolicy;
    private int? inhibitPolicyMapping;
    private int? inhibitAnyPolicy;
    private SkiMode ski = SkiMode.FromKey;
    private byte[]? explicitSki;
    private AkiMode aki = AkiMode.FromIssuer;
    private byte[]? explicitAki;

    internal CertificateBuilder(TestPki pki, X509Name subject, string label)
    {
        this.pki = pki;
        this.subject = subject;
        this.label = label;
        algorithm = pki.DefaultAlgorithm;
        notBefore = pki.Now - TimeSpan.FromDays(1);
        notAfter = pki.Now + TimeSpan.FromDays(365);
    }

    private enum SkiMode
    {
        FromKey,
        Explicit,
        Omitted,
    }

    private enum AkiMode
    {
        FromIssuer,
        Explicit,
        Omitted,
    }

    // ---- identity, keys, signer ----------------------------------------------------------------

    public CertificateBuilder Subject(string distinguishedName) => Subject(new X509Name(distinguishedName));

    public CertificateBuilder Subject(X509Name name)
    {
        subject = name;
        return this;
    }

    public CertificateBuilder Label(string name)
    {
        label = name;
        return this;
    }

    /// <summary>Issuer name, signing key and AKI all come from <paramref name="ca"/>.</summary>
    public CertificateBuilder IssuedBy(TestCertificate ca)
    {
        issuer = ca;
        issuerName = null;
        signingKey = null;
        return this;
    }

    /// <summary>Self-signed: issuer = subject, signed with the certificate's own key.</summary>
    public CertificateBuilder SelfSigned()
    {
        issuer = null;
        issuerName = null;
        signingKey = null;
        return this;
    }

    /// <summary>Overrides the issuer field (for mismatched-name or indirect scenarios).</summary>
    public CertificateBuilder IssuerName(X509Name name)
    {
        issuerName = name;
        return this;
    }

    /// <summary>Overrides the signing key (for wrong-signer scenarios); the issuer name stays.</summary>
    public CertificateBuilder SignedWith(TestKey signer)
    {
        signingKey = signer;
        return this;
    }

    /// <summary>Certifies an existing key (cross-certificates, re-issued CAs, key rollover).</summary>
    public CertificateBuilder WithKey(TestKey existing)
    {
        key = existing;
        return this;
    }

    public CertificateBuilder Algorithm(TestKeyAlgorithm keyAlgorithm)
    {
        algorithm = keyAlgorithm;
        return this;
    }

    public CertificateBuilder Serial(long value) => Serial(BigInteger.ValueOf(value));

    public CertificateBuilder Serial(BigInteger value)
    {
        serial = value;
        return this;
    }

    // ---- validity -------------------------------------------------------------------------------

    public CertificateBuilder Validity(DateTimeOffset from, DateTimeOffset to)
    {
        notBefore = from;
        notAfter = to;
        return this;
    }

    /// <summary>Validity relative to <see cref="TestPki.Now"/>: <c>ValidRelative(-30d, -1d)</c> is an expired certificate.</summary>
    public CertificateBuilder ValidRelative(TimeSpan from, TimeSpan to) => Validity(pki.Now + from, pki.Now + to);

    public CertificateBuilder Expired() => ValidRelative(TimeSpan.FromDays(-30), TimeSpan.FromDays(-1));

    public CertificateBuilder NotYetValid() => ValidRelative(TimeSpan.FromDays(1), TimeSpan.FromDays(30));

    // ---- basic constraints and key usage --------------------------------------------------------

    public CertificateBuilder Ca(int? pathLen = null, bool critical = true)
    {
        basicConstraints = (true, pathLen, critical);
        return this;
    }

    /// <summary>basicConstraints present with cA FALSE (an end entity).</summary>
    public CertificateBuilder EndEntity(bool critical = true)
    {
        basicConstraints = (false, null, critical);
        return this;
    }

    public CertificateBuilder NoBasicConstraints()
    {
        basicConstraints = null;
        return this;
    }

    /// <summary>Key usage bits as in <see cref="KeyUsage"/> (for example <c>KeyUsage.KeyCertSign | KeyUsage.CrlSign</c>).</summary>
    public CertificateBuilder KeyUsage(int bits, bool critical = true)
    {
        keyUsage = (bits, critical);
        return this;
    }

    public CertificateBuilder NoKeyUsage()
    {
        keyUsage = null;
        return this;
    }

    public CertificateBuilder ExtendedKeyUsage(params KeyPurposeID[] purposes) => ExtendedKeyUsage(false, purposes);

    public CertificateBuilder ExtendedKeyUsage(bool critical, params KeyPurposeID[] purposes)
    {
        extendedKeyUsages.Clear();
        extendedKeyUsages.AddRange(purposes);
        extendedKeyUsageCritical = critical;
        return this;
    }

    // ---- subject alternative names --------------------------------------------------------------

    public CertificateBuilder Dns(params string[] names) => AddSans(GeneralName.DnsName, names);

    /// <summary>IPv4 or IPv6 addresses in text form.</summary>
    public CertificateBuilder Ip(params string[] addresses) => AddSans(GeneralName.IPAddress, addresses);

    public CertificateBuilder Uri(params string[] uris) => AddSans(GeneralName.UniformResourceIdentifier, uris);

    public CertificateBuilder Email(params string[] addresses) => AddSans(GeneralName.Rfc822Name, addresses);

    public CertificateBuilder DirectoryName(string distinguishedName)
    {
        subjectAltNames.Add(new GeneralName(new X509Name(distinguishedName)));
        return this;
    }

    public CertificateBuilder SubjectAltNamesCritical(bool critical = true)
    {
        subjectAltNameCritical = critical;
        return this;
    }

    private CertificateBuilder AddSans(int tag, string[] values)
    {
        subjectAltNames.AddRange(values.Select(v => new GeneralName(tag, v)));
        return this;
    }

    // ---- name constraints -----------------------------------------------------------------------

    public CertificateBuilder PermitDns(params string[] names) => Subtrees(permitted, GeneralName.DnsName, names);

    public CertificateBuilder ExcludeDns(params string[] names) => Subtrees(excluded, GeneralName.DnsName, names);

    /// <summary>Address with mask in CIDR form ("10.0.0.0/8", "2001:db8::/32").</summary>
    public CertificateBuilder PermitIp(params string[] cidrs) => Subtrees(permitted, GeneralName.IPAddress, cidrs);

    public CertificateBuilder ExcludeIp(params string[] cidrs) => Subtrees(excluded, GeneralName.IPAddress, cidrs);

    /// <summary>URI constraints name hosts: "host.example" exactly, ".example" any subdomain (RFC 5280 §4.2.1.10).</summary>
    public CertificateBuilder PermitUri(params string[] hosts) => Subtrees(permitted, GeneralName.UniformResourceIdentifier, hosts);

    public CertificateBuilder ExcludeUri(params string[] hosts) => Subtrees(excluded, GeneralName.UniformResourceIdentifier, hosts);

    /// <summary>"user@host" a mailbox, "host" all mail at that host, ".domain" all mail in subdomains.</summary>
    public CertificateBuilder PermitEmail(params string[] constraints) => Subtrees(permitted, GeneralName.Rfc822Name, constraints);

    public CertificateBuilder ExcludeEmail(params string[] constraints) => Subtrees(excluded, GeneralName.Rfc822Name, constraints);

    public CertificateBuilder PermitDirectoryName(params string[] names)
    {
        permitted.AddRange(names.Select(n => new GeneralSubtree(new GeneralName(new X509Name(n)))));
        return this;
    }

    public CertificateBuilder ExcludeDirectoryName(params string[] names)
    {
        excluded.AddRange(names.Select(n => new GeneralSubtree(new GeneralName(new X509Name(n)))));
        return this;
    }

    public CertificateBuilder NameConstraintsCritical(bool critical)
    {
        nameConstraintsCritical = critical;
        return this;
    }

    private CertificateBuilder Subtrees(List<GeneralSubtree> target, int tag, string[] values)
    {
        target.AddRange(values.Select(v => new GeneralSubtree(new GeneralName(tag, v))));
        return this;
    }

    // ---- policies -------------------------------------------------------------------------------

    /// <summary>certificatePolicies with these OIDs (<see cref="TestPki.AnyPolicy"/> for anyPolicy).</summary>
    public CertificateBuilder Policies(params string[] oids)
    {
        policies.AddRange(oids.Select(o => new PolicyInformation(new DerObjectIdentifier(o))));
        return this;
    }

    public CertificateBuilder PoliciesCritical(bool critical = true)
    {
        policiesCritical = critical;
        return this;
    }

    /// <summary>policyMappings entry: issuerDomainPolicy in this CA's domain maps to subjectDomainPolicy below it.</summary>
    public CertificateBuilder PolicyMapping(string issuerDomainPolicy, string subjectDomainPolicy)
    {
        policyMappings.Add((issuerDomainPolicy, subjectDomainPolicy));
        return this;
    }

    /// <summary>policyConstraints: skip-cert counts for requireExplicitPolicy and inhibitPolicyMapping (null = field absent).</summary>
    public CertificateBuilder PolicyConstraints(int? requireExplicitPolicySkipCerts = null, int? inhibitPolicyMappingSkipCerts = null)
    {
        requireExplicitPolicy = requireExplicitPolicySkipCerts;
        inhibitPolicyMapping = inhibitPolicyMappingSkipCerts;
        return this;
    }

    public CertificateBuilder InhibitAnyPolicy(int skipCerts)
    {
        inhibitAnyPolicy = skipCerts;
        return this;
    }

    // ---- key identifiers ------------------------------------------------------------------------

    public CertificateBuilder NoSubjectKeyIdentifier()
    {
        ski = SkiMode.Omitted;
        return this;
    }

    public CertificateBuilder SubjectKeyIdentifier(byte[] keyId)
    {
        ski = SkiMode.Explicit;
        explicitSki = keyId;
        return this;
    }

    public CertificateBuilder NoAuthorityKeyIdentifier()
    {
        aki = AkiMode.Omitted;
        return this;
    }

    /// <summary>An AKI keyIdentifier of your choosing, for example one that matches no CA.</summary>
    public CertificateBuilder AuthorityKeyIdentifier(byte[] keyId)
    {
        aki = AkiMode.Explicit;
        explicitAki = keyId;
        return this;
    }

    // ---- CRL distribution points ----------------------------------------------------------------

    /// <summary>
    /// Adds a DistributionPoint. <paramref name="uri"/> becomes the fullName; <paramref name="crlIssuer"/>
    /// (a DN) marks an indirect CRL issuer; <paramref name="reasons"/> are <see cref="ReasonFlags"/> bits.
    /// </summary>
    public CertificateBuilder CrlDistributionPoint(string? uri, string? crlIssuer = null, int? reasons = null)
    {
        distributionPoints.Add(TestPki.DistributionPoint(uri, crlIssuer, reasons));
        return this;
    }

    public CertificateBuilder FreshestCrl(string uri)
    {
        freshest.Add(TestPki.DistributionPoint(uri, null, null));
        return this;
    }

    // ---- anything else --------------------------------------------------------------------------

    /// <summary>A private extension no verifier knows; critical by default, so RFC 5280 §4.2 requires rejection.</summary>
    public CertificateBuilder UnknownExtension(string oid = TestPki.UnknownExtensionOid, bool critical = true) =>
        Extension(oid, critical, new DerUtf8String("test-only extension"));

    public CertificateBuilder Extension(string oid, bool critical, Asn1Encodable value)
    {
        extra.Add((new DerObjectIdentifier(oid), critical, value));
        return this;
    }

    // ---- build ----------------------------------------------------------------------------------

    public TestCertificate Build()
    {
        var subjectKey = key ?? TestKey.Generate(algorithm);
        var signer = signingKey ?? issuer?.Key ?? subjectKey;
        var issuerDn = issuerName ?? issuer?.SubjectName ?? subject;

        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(serial ?? pki.NextSerial());
        generator.SetIssuerDN(issuerDn);
        generator.SetSubjectDN(subject);
        generator.SetNotBefore(TestPki.WholeSeconds(notBefore));
        generator.SetNotAfter(TestPki.WholeSeconds(notAfter));
        generator.SetSubjectPublicKeyInfo(subjectKey.SubjectPublicKeyInfo);

        if (basicConstraints is { } bc)
        {
            var value = bc.Ca
                ? bc.PathLen is { } len ? new BasicConstraints(len) : new BasicConstraints(true)
                : new BasicConstraints(false);
            generator.AddExtension(X509Extensions.BasicConstraints, bc.Critical, value);
        }

        if (keyUsage is { } ku)
        {
            generator.AddExtension(X509Extensions.KeyUsage, ku.Critical, new KeyUsage(ku.Bits));
        }

        if (extendedKeyUsages.Count > 0)
        {
            generator.AddExtension(X509Extensions.ExtendedKeyUsage, extendedKeyUsageCritical, new ExtendedKeyUsage(extendedKeyUsages.ToArray()));
        }

        switch (ski)
        {
            case SkiMode.FromKey:
                generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, new SubjectKeyIdentifier(subjectKey.KeyIdentifier));
                break;
            case SkiMode.Explicit:
                generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, new SubjectKeyIdentifier(explicitSki!));
                break;
        }

        var isSelfSigned = issuer is null && signingKey is null;
        var akiKeyId = aki switch
        {
            AkiMode.Explicit => explicitAki,
            AkiMode.Omitted => null,
            // Self-signed certificates may omit the AKI (RFC 5280 §4.2.1.1); everything else names its signer's key.
            _ when isSelfSigned => null,
            _ => issuer?.SubjectKeyIdentifier ?? signer.KeyIdentifier,
        };
        if (akiKeyId is not null)
        {
            generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(akiKeyId));
        }

        if (subjectAltNames.Count > 0)
        {
            generator.AddExtension(X509Extensions.SubjectAlternativeName, subjectAltNameCritical, new GeneralNames(subjectAltNames.ToArray()));
        }

        if (permitted.Count > 0 || excluded.Count > 0)
        {
            generator.AddExtension(
                X509Extensions.NameConstraints,
                nameConstraintsCritical,
                new NameConstraints(
                    permitted.Count > 0 ? new GeneralSubtrees(permitted.ToArray()) : null,
                    excluded.Count > 0 ? new GeneralSubtrees(excluded.ToArray()) : null));
        }

        if (policies.Count > 0)
        {
            generator.AddExtension(X509Extensions.CertificatePolicies, policiesCritical, new DerSequence(policies.ToArray()));
        }

        if (policyMappings.Count > 0)
        {
            var mappings = policyMappings
                .Select(m => (Asn1Encodable)new DerSequence(new DerObjectIdentifier(m.IssuerDomain), new DerObjectIdentifier(m.SubjectDomain)))
                .ToArray();
            // RFC 5280 §4.2.1.5: conforming CAs SHOULD mark this extension critical.
            generator.AddExtension(X509Extensions.PolicyMappings, true, new DerSequence(mappings));
        }

        if (requireExplicitPolicy is not null || inhibitPolicyMapping is not null)
        {
            var fields = new List<Asn1Encodable>();
            if (requireExplicitPolicy is { } rep)
            {
                fields.Add(new DerTaggedObject(false, 0, DerInteger.ValueOf(rep)));
            }

            if (inhibitPolicyMapping is { } ipm)
            {
                fields.Add(new DerTaggedObject(false, 1, DerInteger.ValueOf(ipm)));
            }

            // RFC 5280 §4.2.1.11: conforming CAs MUST mark this extension critical.
            generator.AddExtension(X509Extensions.PolicyConstraints, true, new DerSequence(fields.ToArray()));
        }

        if (inhibitAnyPolicy is { } skip)
        {
            // RFC 5280 §4.2.1.14: MUST be critical.
            generator.AddExtension(X509Extensions.InhibitAnyPolicy, true, DerInteger.ValueOf(skip));
        }

        if (distributionPoints.Count > 0)
        {
            generator.AddExtension(X509Extensions.CrlDistributionPoints, false, new CrlDistPoint(distributionPoints.ToArray()));
        }

        if (freshest.Count > 0)
        {
            generator.AddExtension(X509Extensions.FreshestCrl, false, new CrlDistPoint(freshest.ToArray()));
        }

        foreach (var (oid, critical, value) in extra)
        {
            generator.AddExtension(oid, critical, value);
        }

        return new TestCertificate(generator.Generate(signer.SignatureFactory()), subjectKey, label);
    }
}
