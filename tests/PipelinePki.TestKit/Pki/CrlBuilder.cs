using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Encoding;

namespace PipelinePki.TestKit.Pki;

/// <summary>A generated CRL.</summary>
public sealed class TestCrl(X509Crl crl, string label)
{
    public X509Crl Crl { get; } = crl;

    public string Label { get; } = label;

    public byte[] Der => Crl.GetEncoded();

    public string ToPem() => Pem.Encode("X509 CRL", Der);

    public string WritePem(TempDirectory directory, string? fileName = null)
    {
        var path = directory.Combine(fileName ?? Label + ".crl.pem");
        File.WriteAllText(path, ToPem());
        return path;
    }

    public override string ToString() => $"{Label} ({Crl.IssuerDN})";
}

/// <summary>
/// Fluent description of one CRL: by default a complete, direct CRL of <c>issuer</c>, signed by
/// its key, valid from an hour ago for a week, CRL number 1, with an AKI naming the issuer's key.
/// </summary>
public sealed class CrlBuilder
{
    private readonly TestPki pki;
    private readonly List<Entry> entries = [];
    private readonly List<DistributionPoint> freshest = [];
    private readonly List<(DerObjectIdentifier Oid, bool Critical, Asn1Encodable Value)> extra = [];

    private X509Name issuerName;
    private TestKey signingKey;
    private byte[]? authorityKeyId;
    private DateTimeOffset thisUpdate;
    private DateTimeOffset? nextUpdate;
    private long? number = 1;
    private long? deltaOfBase;
    private IssuingDistributionPoint? issuingDistributionPoint;
    private string label;

    internal CrlBuilder(TestPki pki, TestCertificate issuer, string label)
    {
        this.pki = pki;
        this.label = label;
        issuerName = issuer.SubjectName;
        signingKey = issuer.Key;
        authorityKeyId = issuer.SubjectKeyIdentifier ?? issuer.Key.KeyIdentifier;
        thisUpdate = pki.Now - TimeSpan.FromHours(1);
        nextUpdate = pki.Now + TimeSpan.FromDays(7);
    }

    private sealed record Entry(BigInteger Serial, DateTimeOffset RevokedAt, int? Reason, X509Name? CertificateIssuer);

    public CrlBuilder Label(string name)
    {
        label = name;
        return this;
    }

    /// <summary>Signs with another certificate's key and names its subject as issuer (a separate CRL signer or an indirect CRL issuer).</summary>
    public CrlBuilder SignedBy(TestCertificate signer)
    {
        issuerName = signer.SubjectName;
        signingKey = signer.Key;
        authorityKeyId = signer.SubjectKeyIdentifier ?? signer.Key.KeyIdentifier;
        return this;
    }

    /// <summary>Signs with a bare key; issuer name and AKI are left as they are (a forged or mis-signed CRL).</summary>
    public CrlBuilder SignedWith(TestKey key)
    {
        signingKey = key;
        return this;
    }

    public CrlBuilder IssuerName(X509Name name)
    {
        issuerName = name;
        return this;
    }

    /// <summary>AKI keyIdentifier; null omits the extension.</summary>
    public CrlBuilder AuthorityKeyIdentifier(byte[]? keyId)
    {
        authorityKeyId = keyId;
        return this;
    }

    public CrlBuilder ThisUpdate(DateTimeOffset time)
    {
        thisUpdate = time;
        return this;
    }

    /// <summary>nextUpdate; null omits it (allowed by the ASN.1, forbidden for conforming issuers).</summary>
    public CrlBuilder NextUpdate(DateTimeOffset? time)
    {
        nextUpdate = time;
        return this;
    }

    /// <summary>thisUpdate and nextUpdate both in the past: a stale CRL.</summary>
    public CrlBuilder Expired() => ThisUpdate(pki.Now - TimeSpan.FromDays(10)).NextUpdate(pki.Now - TimeSpan.FromDays(3));

    /// <summary>cRLNumber; null omits it.</summary>
    public CrlBuilder Number(long? value)
    {
        number = value;
        return this;
    }

    /// <summary>Makes this a delta CRL (critical deltaCRLIndicator) against the complete CRL numbered <paramref name="baseCrlNumber"/>.</summary>
    public CrlBuilder DeltaOf(long baseCrlNumber)
    {
        deltaOfBase = baseCrlNumber;
        return this;
    }

    /// <summary>Freshest CRL extension on a complete CRL, pointing at its delta CRLs.</summary>
    public CrlBuilder FreshestCrl(string uri)
    {
        freshest.Add(TestPki.DistributionPoint(uri, null, null));
        return this;
    }

    /// <summary>
    /// Critical issuingDistributionPoint (RFC 5280 §5.2.5). <paramref name="onlySomeReasons"/> uses
    /// <see cref="ReasonFlags"/> bits; <paramref name="indirect"/> sets indirectCRL.
    /// </summary>
    public CrlBuilder IssuingDistributionPoint(
        string? uri = null, bool onlyUserCerts = false, bool onlyCaCerts = false, int? onlySomeReasons = null, bool indirect = false)
    {
        var name = uri is null ? null : new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.UniformResourceIdentifier, uri)));
        issuingDistributionPoint = new IssuingDistributionPoint(
            name, onlyUserCerts, onlyCaCerts, onlySomeReasons is { } r ? new ReasonFlags(r) : null, indirect, false);
        return this;
    }

    /// <summary>Any CRL extension, for example an unknown critical one (RFC 5280 §5.2: such a CRL must not be used).</summary>
    public CrlBuilder Extension(string oid, bool critical, Asn1Encodable value)
    {
        extra.Add((new DerObjectIdentifier(oid), critical, value));
        return this;
    }

    /// <summary>Revokes <paramref name="certificate"/>; <paramref name="reason"/> is a <see cref="CrlReason"/> code.</summary>
    public CrlBuilder Revoke(TestCertificate certificate, int? reason = null, DateTimeOffset? at = null, X509Name? certificateIssuer = null) =>
        Revoke(certificate.Serial, reason, at, certificateIssuer);

    /// <summary>
    /// Revokes a serial. <paramref name="certificateIssuer"/> adds the critical certificateIssuer entry
    /// extension of indirect CRLs (RFC 5280 §5.3.3); later entries without one inherit it.
    /// </summary>
    public CrlBuilder Revoke(BigInteger serial, int? reason = null, DateTimeOffset? at = null, X509Name? certificateIssuer = null)
    {
        entries.Add(new Entry(serial, at ?? pki.Now - TimeSpan.FromMinutes(30), reason, certificateIssuer));
        return this;
    }

    public TestCrl Build()
    {
        var generator = new X509V2CrlGenerator();
        generator.SetIssuerDN(issuerName);
        generator.SetThisUpdate(TestPki.WholeSeconds(thisUpdate));
        if (nextUpdate is { } next)
        {
            generator.SetNextUpdate(TestPki.WholeSeconds(next));
        }

        foreach (var entry in entries)
        {
            var extensions = new X509ExtensionsGenerator();
            if (entry.Reason is { } reason)
            {
                extensions.AddExtension(X509Extensions.ReasonCode, false, new CrlReason(reason));
            }

            if (entry.CertificateIssuer is { } certificateIssuer)
            {
                extensions.AddExtension(X509Extensions.CertificateIssuer, true, new GeneralNames(new GeneralName(certificateIssuer)));
            }

            generator.AddCrlEntry(entry.Serial, TestPki.WholeSeconds(entry.RevokedAt), extensions.IsEmpty ? null : extensions.Generate());
        }

        if (authorityKeyId is not null)
        {
            generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(authorityKeyId));
        }

        if (number is { } n)
        {
            generator.AddExtension(X509Extensions.CrlNumber, false, new CrlNumber(BigInteger.ValueOf(n)));
        }

        if (deltaOfBase is { } baseNumber)
        {
            generator.AddExtension(X509Extensions.DeltaCrlIndicator, true, new CrlNumber(BigInteger.ValueOf(baseNumber)));
        }

        if (issuingDistributionPoint is not null)
        {
            generator.AddExtension(X509Extensions.IssuingDistributionPoint, true, issuingDistributionPoint);
        }

        if (freshest.Count > 0)
        {
            generator.AddExtension(X509Extensions.FreshestCrl, false, new CrlDistPoint(freshest.ToArray()));
        }

        foreach (var (oid, critical, value) in extra)
        {
            generator.AddExtension(oid, critical, value);
        }

        return new TestCrl(generator.Generate(signingKey.SignatureFactory()), label);
    }
}
