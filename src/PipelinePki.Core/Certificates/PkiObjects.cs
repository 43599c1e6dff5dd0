using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Encoding;

namespace PipelinePki.Core.Certificates;

public sealed record CrlEntryInfo(string Serial, DateTimeOffset RevokedAt, string? Reason);

public sealed record CrlInfo(
    string Issuer,
    DateTimeOffset ThisUpdate,
    DateTimeOffset? NextUpdate,
    string? CrlNumber,
    string? AuthorityKeyIdentifier,
    string SignatureAlgorithm,
    IReadOnlyList<CrlEntryInfo> Entries);

public sealed record CsrInfo(string Subject, string KeyType, string SignatureAlgorithm, bool SignatureValid, IReadOnlyList<string> RequestedSubjectAlternativeNames);

/// <summary>One object found in a file given to <c>cert inspect</c>; exactly one of the details is set.</summary>
public sealed record InspectedObject(string Kind, CertificateInfo? Certificate = null, CrlInfo? Crl = null, CsrInfo? Csr = null, string? PrivateKeyNote = null);

/// <summary>
/// Reads certificates, CRLs and CSRs from PEM or DER, single objects or bundles, by content.
/// Every parse failure becomes a <see cref="BadInputException"/> naming the source.
/// </summary>
public static class PkiObjectReader
{
    public static byte[] ReadFile(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw new BadInputException($"{path}: file not found.", e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new BadInputException($"{path}: file not found.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read ({e.Message}).", e);
        }
    }

    public static IReadOnlyList<X509Certificate> ReadCertificates(string path) => ReadCertificates(ReadFile(path), path);

    public static IReadOnlyList<X509Certificate> ReadCertificates(byte[] content, string source)
    {
        var objects = Blocks(content, source);
        var certificates = new List<X509Certificate>();
        foreach (var block in objects)
        {
            if (block.Label is "CERTIFICATE" or "X509 CERTIFICATE" or "TRUSTED CERTIFICATE" or "DER")
            {
                certificates.Add(ParseCertificate(block.Der, source));
            }
        }

        if (certificates.Count == 0)
        {
            throw new BadInputException($"{source}: no certificate found (expected PEM 'CERTIFICATE' blocks or DER).");
        }

        return certificates;
    }

    public static X509Certificate ReadSingleCertificate(string path)
    {
        var certificates = ReadCertificates(path);
        return certificates.Count == 1
            ? certificates[0]
            : throw new BadInputException($"{path}: expected one certificate, found {certificates.Count}.");
    }

    public static Pkcs10CertificationRequest ReadCertificationRequest(byte[] content, string source)
    {
        var blocks = Blocks(content, source);
        var block = blocks.FirstOrDefault(b => b.Label is "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST" or "DER")
            ?? throw new BadInputException($"{source}: no certificate signing request found (expected PEM 'CERTIFICATE REQUEST' or DER).");
        try
        {
            var request = new Pkcs10CertificationRequest(block.Der);
            _ = request.GetCertificationRequestInfo().Subject;
            return request;
        }
        catch (Exception e) when (IsParseFailure(e))
        {
            throw new BadInputException($"{source}: malformed certificate signing request ({e.Message}).", e);
        }
    }

    /// <summary>Everything recognisable in the input, in order.</summary>
    public static IReadOnlyList<InspectedObject> Inspect(byte[] content, string source)
    {
        var result = new List<InspectedObject>();
        foreach (var block in Blocks(content, source))
        {
            result.Add(block.Label switch
            {
                "CERTIFICATE" or "X509 CERTIFICATE" or "TRUSTED CERTIFICATE" =>
                    new InspectedObject("certificate", Certificate: CertificateDescriber.Describe(ParseCertificate(block.Der, source))),
                "X509 CRL" => new InspectedObject("crl", Crl: DescribeCrl(ParseCrl(block.Der, source))),
                "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST" => new InspectedObject("csr", Csr: DescribeCsr(ReadCertificationRequest(block.Der, source))),
                var label when label.EndsWith("PRIVATE KEY", StringComparison.Ordinal) =>
                    new InspectedObject("private-key", PrivateKeyNote: $"{label.ToLowerInvariant()} (contents not shown)"),
                "DER" => InspectDer(block.Der, source),
                var label => throw new BadInputException($"{source}: unsupported PEM block '{label}'."),
            });
        }

        return result;
    }

    public static X509Certificate ParseCertificate(byte[] der, string source)
    {
        try
        {
            var certificate = new X509Certificate(X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(der)));
            // Touch the lazily parsed parts so a broken certificate fails here, not later.
            _ = certificate.SubjectDN;
            _ = certificate.NotAfter;
            return certificate;
        }
        catch (Exception e) when (IsParseFailure(e))
        {
            throw new BadInputException($"{source}: malformed certificate ({e.Message}).", e);
        }
    }

    public static X509Crl ParseCrl(byte[] der, string source)
    {
        try
        {
            var crl = new X509Crl(CertificateList.GetInstance(Asn1Object.FromByteArray(der)));
            _ = crl.IssuerDN;
            return crl;
        }
        catch (Exception e) when (IsParseFailure(e))
        {
            throw new BadInputException($"{source}: malformed CRL ({e.Message}).", e);
        }
    }

    public static CrlInfo DescribeCrl(X509Crl crl)
    {
        var number = crl.GetExtensionValue(X509Extensions.CrlNumber) is { } n
            ? DerInteger.GetInstance(Asn1Object.FromByteArray(n.GetOctets())).Value.ToString(16).ToUpperInvariant()
            : null;
        var aki = crl.GetExtensionValue(X509Extensions.AuthorityKeyIdentifier) is { } a
            && AuthorityKeyIdentifier.GetInstance(Asn1Object.FromByteArray(a.GetOctets())).KeyIdentifier is { } keyId
            ? CertificateDescriber.Hex(keyId.GetOctets())
            : null;
        var entries = (crl.GetRevokedCertificates() ?? new HashSet<X509CrlEntry>()).Select(e =>
        {
            string? reason = null;
            if (e.GetExtensionValue(X509Extensions.ReasonCode) is { } r)
            {
                reason = RevocationReasons.Name(DerEnumerated.GetInstance(Asn1Object.FromByteArray(r.GetOctets())).IntValueExact);
            }

            return new CrlEntryInfo(CertificateDescriber.FormatSerial(e.SerialNumber), Utc(e.RevocationDate), reason);
        }).ToList();
        return new CrlInfo(
            CertificateDescriber.FormatName(crl.IssuerDN),
            Utc(crl.ThisUpdate),
            crl.NextUpdate is { } next ? Utc(next) : null,
            number,
            aki,
            CertificateDescriber.SignatureAlgorithmName(crl.SigAlgOid),
            entries);
    }

    public static CsrInfo DescribeCsr(Pkcs10CertificationRequest request)
    {
        var info = request.GetCertificationRequestInfo();
        bool valid;
        try
        {
            valid = request.Verify();
        }
        catch (Exception e) when (IsParseFailure(e))
        {
            valid = false;
        }

        return new CsrInfo(
            CertificateDescriber.FormatName(info.Subject),
            CertificateDescriber.KeyTypeOf(info.SubjectPublicKeyInfo),
            CertificateDescriber.SignatureAlgorithmName(request.SignatureAlgorithm.Algorithm.Id),
            valid,
            RequestedNames(request));
    }

    /// <summary>The subjectAltName entries of a CSR's extensionRequest attribute, if any.</summary>
    public static IReadOnlyList<string> RequestedNames(Pkcs10CertificationRequest request)
    {
        var extensions = request.GetRequestedExtensions();
        return extensions is null ? [] : CertificateDescriber.SubjectAlternativeNamesOf(extensions);
    }

    private static InspectedObject InspectDer(byte[] der, string source)
    {
        // DER carries no label: try each kind by its structure. A certificate and a CRL are both
        // SEQUENCE { SEQUENCE, AlgorithmIdentifier, BIT STRING }; the TBS contents tell them apart.
        var kinds = new Func<InspectedObject>[]
        {
            () => new InspectedObject("certificate", Certificate: CertificateDescriber.Describe(ParseCertificate(der, source))),
            () => new InspectedObject("crl", Crl: DescribeCrl(ParseCrl(der, source))),
            () => new InspectedObject("csr", Csr: DescribeCsr(ReadCertificationRequest(der, source))),
        };
        foreach (var kind in kinds)
        {
            try
            {
                return kind();
            }
            catch (BadInputException)
            {
            }
        }

        throw new BadInputException($"{source}: not a certificate, CRL or CSR in PEM or DER form.");
    }

    private static IReadOnlyList<PemBlock> Blocks(byte[] content, string source)
    {
        if (content.Length == 0)
        {
            throw new BadInputException($"{source}: the file is empty.");
        }

        if (Pem.LooksLikePem(content))
        {
            IReadOnlyList<PemBlock> blocks;
            try
            {
                blocks = Pem.ReadAll(content);
            }
            catch (FormatException e)
            {
                throw new BadInputException($"{source}: malformed PEM ({e.Message}).", e);
            }

            return blocks.Count > 0 ? blocks : throw new BadInputException($"{source}: malformed PEM (no complete BEGIN/END block).");
        }

        if (content[0] != 0x30)
        {
            throw new BadInputException($"{source}: neither PEM nor DER (a DER object starts with a SEQUENCE).");
        }

        // A DER file may hold several concatenated objects (a chain saved by some tools).
        var result = new List<PemBlock>();
        var remaining = content.AsMemory();
        while (!remaining.IsEmpty)
        {
            try
            {
                var reader = new System.Formats.Asn1.AsnReader(remaining, System.Formats.Asn1.AsnEncodingRules.DER);
                var one = reader.ReadEncodedValue();
                result.Add(new PemBlock("DER", one.ToArray()));
                remaining = remaining[one.Length..];
            }
            catch (System.Formats.Asn1.AsnContentException e)
            {
                throw new BadInputException($"{source}: malformed DER ({e.Message}).", e);
            }
        }

        return result;
    }

    private static bool IsParseFailure(Exception e) =>
        e is ArgumentException or InvalidCastException or IOException or FormatException or InvalidOperationException
            or Org.BouncyCastle.Security.Certificates.CertificateException or Org.BouncyCastle.Security.Certificates.CrlException
            or Org.BouncyCastle.Asn1.Asn1Exception or System.Formats.Asn1.AsnContentException
            or Org.BouncyCastle.Crypto.CryptoException or Org.BouncyCastle.Security.SecurityUtilityException;

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time.ToUniversalTime(), DateTimeKind.Utc));
}

/// <summary>RFC 5280 §5.3.1 CRLReason names, as OpenSSL and the CLI write them.</summary>
public static class RevocationReasons
{
    private static readonly string[] Names =
    [
        "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
        "cessationOfOperation", "certificateHold", "(unused)", "removeFromCRL", "privilegeWithdrawn", "aACompromise",
    ];

    public static string Name(int code) => code >= 0 && code < Names.Length ? Names[code] : $"reason-{code}";

    public static int Parse(string text)
    {
        for (var i = 0; i < Names.Length; i++)
        {
            if (i != 7 && string.Equals(Names[i], text, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        // removeFromCRL only means something in delta CRLs, which the local CA does not publish.
        throw new UsageException($"--reason: unknown reason '{text}'; use one of {string.Join(", ", Names.Where((_, i) => i is not 7 and not 8))}.");
    }
}
