using System.Formats.Asn1;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;

namespace PipelinePki.Core.Validation;

/// <summary>One revoked-certificate entry as the CRL states it.</summary>
internal readonly record struct CrlEntry(DateTime RevokedAt, int? Reason, X509Name Issuer);

/// <summary>
/// A CRL parsed once into a compact serial index. CRLs of a busy CA hold millions of entries:
/// BouncyCastle's object tree for a 1,000,000-entry CRL costs seconds and hundreds of MiB, and its
/// lookup is a linear scan. Here the entries are walked once with a forward-only DER reader into a
/// hash index of about 40 bytes per entry, so a lookup is O(1) and memory stays proportional to
/// the entry count, not to the object graph.
/// </summary>
internal sealed class CrlDocument
{
    private static readonly HashSet<string> UnderstoodCrlExtensions =
    [
        X509Extensions.AuthorityKeyIdentifier.Id, X509Extensions.CrlNumber.Id, X509Extensions.DeltaCrlIndicator.Id,
        X509Extensions.IssuingDistributionPoint.Id, X509Extensions.FreshestCrl.Id, X509Extensions.AuthorityInfoAccess.Id,
        X509Extensions.IssuerAlternativeName.Id,
    ];

    private static readonly HashSet<string> UnderstoodEntryExtensions =
    [
        X509Extensions.ReasonCode.Id, X509Extensions.CertificateIssuer.Id, X509Extensions.InvalidityDate.Id,
    ];

    private readonly Dictionary<SerialKey, int> index;
    private readonly long[] revokedAtTicks;
    private readonly sbyte[] reasons;
    private readonly ushort[] issuerIndex;
    private readonly List<X509Name> entryIssuers;
    private readonly byte[] tbs;
    private readonly byte[] signature;

    private CrlDocument(
        string source, X509Name issuer, DateTime thisUpdate, DateTime? nextUpdate, X509Extensions? extensions, string signatureAlgorithm,
        byte[] tbs, byte[] signature, Dictionary<SerialKey, int> index, long[] revokedAtTicks, sbyte[] reasons, ushort[] issuerIndex,
        List<X509Name> entryIssuers, string? unusableReason)
    {
        Source = source;
        Issuer = issuer;
        ThisUpdate = thisUpdate;
        NextUpdate = nextUpdate;
        Extensions = extensions;
        SignatureAlgorithm = signatureAlgorithm;
        this.tbs = tbs;
        this.signature = signature;
        this.index = index;
        this.revokedAtTicks = revokedAtTicks;
        this.reasons = reasons;
        this.issuerIndex = issuerIndex;
        this.entryIssuers = entryIssuers;
        UnusableReason = unusableReason;
        CrlNumber = extensions?.GetExtension(X509Extensions.CrlNumber) is { } n ? DerInteger.GetInstance(n.GetParsedValue()).Value : null;
        DeltaBaseNumber = extensions?.GetExtension(X509Extensions.DeltaCrlIndicator) is { } d ? DerInteger.GetInstance(d.GetParsedValue()).Value : null;
        IssuingDistributionPoint = extensions?.GetExtension(X509Extensions.IssuingDistributionPoint) is { } idp
            ? Org.BouncyCastle.Asn1.X509.IssuingDistributionPoint.GetInstance(idp.GetParsedValue()) : null;
        AuthorityKeyId = extensions?.GetExtension(X509Extensions.AuthorityKeyIdentifier) is { } aki
            ? AuthorityKeyIdentifier.GetInstance(aki.GetParsedValue()).KeyIdentifier?.GetOctets() : null;
    }

    /// <summary>Where it came from (file or URL), for messages.</summary>
    public string Source { get; }

    public X509Name Issuer { get; }

    public DateTime ThisUpdate { get; }

    public DateTime? NextUpdate { get; }

    public X509Extensions? Extensions { get; }

    public Org.BouncyCastle.Math.BigInteger? CrlNumber { get; }

    /// <summary>Set on delta CRLs: the number of the complete CRL they build on.</summary>
    public Org.BouncyCastle.Math.BigInteger? DeltaBaseNumber { get; }

    public bool IsDelta => DeltaBaseNumber is not null;

    public IssuingDistributionPoint? IssuingDistributionPoint { get; }

    public byte[]? AuthorityKeyId { get; }

    public string SignatureAlgorithm { get; }

    public int Count => revokedAtTicks.Length;

    /// <summary>Why the CRL cannot be used at all (an unrecognised critical extension), or null.</summary>
    public string? UnusableReason { get; }

    public static CrlDocument Parse(byte[] der, string source)
    {
        try
        {
            return ParseCore(der, source);
        }
        catch (Exception e) when (e is AsnContentException or ArgumentException or InvalidCastException or IOException or CryptographicException or FormatException)
        {
            throw new BadInputException($"{source}: malformed CRL ({e.Message}).", e);
        }
    }

    /// <summary>Finds the entry for a certificate. <paramref name="certificateIssuer"/> matters for indirect CRLs, whose entries name their issuer.</summary>
    public bool TryFind(Org.BouncyCastle.Math.BigInteger serial, X509Name certificateIssuer, out CrlEntry entry)
    {
        entry = default;
        if (!index.TryGetValue(SerialKey.From(serial.ToByteArrayUnsigned()), out var position))
        {
            return false;
        }

        // Several issuers of an indirect CRL may reuse a serial: the index chains them.
        for (var i = position; i >= 0; i = NextWithSameSerial(i))
        {
            var issuer = entryIssuers[issuerIndex[i]];
            if (issuer.Equivalent(certificateIssuer))
            {
                entry = new CrlEntry(new DateTime(revokedAtTicks[i], DateTimeKind.Utc), reasons[i] < 0 ? null : reasons[i], issuer);
                return true;
            }
        }

        return false;
    }

    /// <summary>Checks the CRL's signature with the public key of <paramref name="signer"/>.</summary>
    public bool SignatureVerifies(Org.BouncyCastle.X509.X509Certificate signer, SignatureVerifier signatures) =>
        SignatureVerifies(signer.CertificateStructure.SubjectPublicKeyInfo.GetEncoded(), signatures);

    /// <summary>Checks the CRL's signature with a DER SubjectPublicKeyInfo.</summary>
    public bool SignatureVerifies(byte[] spki, SignatureVerifier signatures) => signatures.Verify(SignatureAlgorithm, tbs, signature, spki);

    private int NextWithSameSerial(int i)
    {
        // Duplicates (same serial, different indirect issuer) are rare; they sit in the overflow map.
        return duplicates is not null && duplicates.TryGetValue(i, out var next) ? next : -1;
    }

    private Dictionary<int, int>? duplicates;

    private static CrlDocument ParseCore(byte[] der, string source)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbsEncoded = outer.ReadEncodedValue();
        var signatureAlgorithm = outer.ReadSequence();
        var algorithmOid = signatureAlgorithm.ReadObjectIdentifier();
        var signatureBits = outer.ReadBitString(out _);

        var tbsReader = new AsnReader(tbsEncoded, AsnEncodingRules.DER).ReadSequence();
        if (tbsReader.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            tbsReader.ReadInteger(); // version v2
        }

        tbsReader.ReadSequence(); // inner signature algorithm
        var issuer = X509Name.GetInstance(Asn1Object.FromByteArray(tbsReader.ReadEncodedValue().ToArray()));
        var thisUpdate = ReadTime(tbsReader);
        DateTime? nextUpdate = null;
        if (tbsReader.HasData && (tbsReader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbsReader.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
        {
            nextUpdate = ReadTime(tbsReader);
        }

        // An entry takes 30-40 DER bytes: presizing from the length avoids rehashing a million-entry index.
        var estimate = der.Length / 32;
        var index = new Dictionary<SerialKey, int>(estimate);
        var times = new List<long>(estimate);
        var reasons = new List<sbyte>(estimate);
        var issuerIndex = new List<ushort>(estimate);
        var issuers = new List<X509Name> { issuer };
        Dictionary<int, int>? duplicates = null;
        string? unusable = null;
        if (tbsReader.HasData && tbsReader.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbsReader.ReadSequence();
            var currentIssuer = 0;
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                var serial = entry.ReadIntegerBytes().Span;
                var revokedAt = ReadTime(entry);
                sbyte reason = -1;
                if (entry.HasData)
                {
                    var extensions = entry.ReadSequence();
                    while (extensions.HasData)
                    {
                        var extension = extensions.ReadSequence();
                        var oid = extension.ReadObjectIdentifier();
                        var critical = extension.HasData && extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
                        var value = extension.ReadOctetString();
                        if (oid == X509Extensions.ReasonCode.Id)
                        {
                            var code = new AsnReader(value, AsnEncodingRules.DER).ReadEnumeratedBytes().Span;
                            reason = code.Length == 1 && code[0] <= 10 ? (sbyte)code[0] : (sbyte)0;
                        }
                        else if (oid == X509Extensions.CertificateIssuer.Id)
                        {
                            // Indirect CRLs: this and the following entries belong to the named issuer (RFC 5280 §5.3.3).
                            var names = GeneralNames.GetInstance(Asn1Object.FromByteArray(value)).GetNames();
                            var directory = names.FirstOrDefault(g => g.TagNo == GeneralName.DirectoryName);
                            if (directory is not null)
                            {
                                issuers.Add(X509Name.GetInstance(directory.Name));
                                currentIssuer = issuers.Count - 1;
                            }
                        }
                        else if (critical && !UnderstoodEntryExtensions.Contains(oid))
                        {
                            unusable ??= $"entry extension {oid} is critical and not understood";
                        }
                    }
                }

                var position = times.Count;
                times.Add(revokedAt.Ticks);
                reasons.Add(reason);
                issuerIndex.Add(checked((ushort)currentIssuer));
                var key = SerialKey.From(TrimLeadingZeros(serial));
                if (index.TryGetValue(key, out var existing))
                {
                    duplicates ??= [];
                    duplicates[position] = existing;
                }

                index[key] = position;
            }
        }

        X509Extensions? crlExtensions = null;
        if (tbsReader.HasData)
        {
            var explicitExtensions = tbsReader.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            crlExtensions = X509Extensions.GetInstance(Asn1Object.FromByteArray(explicitExtensions.ReadEncodedValue().ToArray()));
            foreach (var oid in crlExtensions.GetCriticalExtensionOids())
            {
                if (!UnderstoodCrlExtensions.Contains(oid.Id))
                {
                    unusable ??= $"CRL extension {oid.Id} is critical and not understood";
                }
            }
        }

        var document = new CrlDocument(
            source, issuer, thisUpdate, nextUpdate, crlExtensions, algorithmOid, tbsEncoded.ToArray(), signatureBits,
            index, [.. times], [.. reasons], [.. issuerIndex], issuers, unusable)
        {
            duplicates = duplicates,
        };
        return document;
    }

    private static DateTime ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime)
            ? reader.ReadUtcTime(2049).UtcDateTime
            : reader.ReadGeneralizedTime().UtcDateTime;

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length - 1 && value[start] == 0)
        {
            start++;
        }

        return value[start..];
    }

    /// <summary>A serial number as a fixed-size value: up to 20 octets (RFC 5280's limit) packed, longer ones hashed.</summary>
    private readonly record struct SerialKey(ulong A, ulong B, ulong C)
    {
        public static SerialKey From(ReadOnlySpan<byte> magnitude)
        {
            Span<byte> buffer = stackalloc byte[24];
            buffer.Clear();
            if (magnitude.Length <= 20)
            {
                magnitude.CopyTo(buffer[(20 - magnitude.Length)..]);
                buffer[20] = (byte)magnitude.Length;
            }
            else
            {
                Encoding.ManagedDigest.Sha256(magnitude).AsSpan(0, 20).CopyTo(buffer);
                buffer[20] = 0xFF;
            }

            return new SerialKey(
                BitConverter.ToUInt64(buffer[..8]),
                BitConverter.ToUInt64(buffer[8..16]),
                BitConverter.ToUInt64(buffer[16..24]));
        }
    }
}
