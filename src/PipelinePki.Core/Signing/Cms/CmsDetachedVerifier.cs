using System.Formats.Asn1;
using System.Security.Cryptography;
using PipelinePki.Core.Validation;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Signing.Cms;

/// <summary>
/// Reads and checks detached CMS SignedData (ours or OpenSSL's). <see cref="Parse"/> says which
/// digest algorithm the caller must hash the artifact with; <see cref="SignatureValid"/> then checks
/// the signature. Trust in the signer certificate is a separate step (<see cref="CertificateVerifier"/>).
/// </summary>
public static class CmsDetachedVerifier
{
    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Context1 = new(TagClass.ContextSpecific, 1, isConstructed: true);

    /// <summary>Parses a DER (or BER) ContentInfo holding a detached SignedData with one signer.</summary>
    /// <exception cref="BadInputException">The bytes are not such a structure; the message names <paramref name="source"/>.</exception>
    public static CmsSignature Parse(byte[] cmsDer, string source)
    {
        ArgumentNullException.ThrowIfNull(cmsDer);
        try
        {
            return ParseCore(cmsDer, source);
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException
            or Org.BouncyCastle.Security.Certificates.CertificateException or IOException or InvalidCastException)
        {
            throw new BadInputException($"{source}: not a CMS SignedData signature ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Whether <paramref name="signature"/> signs an artifact whose digest (under
    /// <see cref="CmsSignature.DigestAlgorithm"/>) is <paramref name="contentDigest"/>. When not,
    /// <paramref name="problem"/> says exactly which check failed.
    /// </summary>
    public static bool SignatureValid(CmsSignature signature, byte[] contentDigest, out string problem)
    {
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(contentDigest);
        var source = signature.Source;
        if (signature.DigestAlgorithm == HashAlgorithmName.SHA1)
        {
            problem = $"{source}: the digest algorithm is SHA-1, which is not accepted for signatures";
            return false;
        }

        if (signature.SignedAttributesDer is null)
        {
            problem = $"{source}: the signature has no signed attributes; detached signatures must carry messageDigest";
            return false;
        }

        if (signature.ContentType != CmsOids.Data)
        {
            problem = signature.ContentType is null
                ? $"{source}: the contentType signed attribute is missing"
                : $"{source}: the contentType signed attribute is {signature.ContentType}, not id-data";
            return false;
        }

        if (signature.MessageDigest is null)
        {
            problem = $"{source}: the messageDigest signed attribute is missing";
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(signature.MessageDigest, contentDigest))
        {
            problem = $"{source}: the artifact's {signature.DigestAlgorithm.Name} digest does not match the signed messageDigest: the artifact was changed or is not the one signed";
            return false;
        }

        var signatureOid = SignatureOid(signature.SignatureAlgorithmOid, signature.DigestAlgorithm);
        if (signatureOid is null)
        {
            problem = $"{source}: unsupported signature algorithm {signature.SignatureAlgorithmOid}";
            return false;
        }

        var publicKey = signature.SignerCertificate.CertificateStructure.SubjectPublicKeyInfo.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der);
        if (!SignatureCheck.Verify(signatureOid, signature.SignedAttributesDer, signature.SignatureValue, publicKey))
        {
            problem = $"{source}: the signature over the signed attributes does not verify with the signer certificate's key ({signature.SignerCertificate.SubjectDN})";
            return false;
        }

        if (!SigningCertificateMatches(signature, out problem))
        {
            return false;
        }

        if (signature.TimestampToken is { } token && !CmsTimestampToken.ImprintMatches(token, signature.SignatureValue, out var timestampProblem))
        {
            problem = $"{source}: {timestampProblem}";
            return false;
        }

        problem = string.Empty;
        return true;
    }

    /// <summary>The X.509-style signature OID to verify with: CMS also allows the bare key OID with the digest algorithm giving the hash.</summary>
    private static string? SignatureOid(string oid, HashAlgorithmName digest) => oid switch
    {
        CmsOids.RsaEncryption => digest.Name switch
        {
            "SHA256" => CmsOids.Sha256WithRsa,
            "SHA384" => CmsOids.Sha384WithRsa,
            "SHA512" => CmsOids.Sha512WithRsa,
            _ => null,
        },
        CmsOids.EcPublicKey => digest.Name switch
        {
            "SHA256" => CmsOids.EcdsaWithSha256,
            "SHA384" => CmsOids.EcdsaWithSha384,
            "SHA512" => CmsOids.EcdsaWithSha512,
            _ => null,
        },
        CmsOids.Sha256WithRsa or CmsOids.Sha384WithRsa or CmsOids.Sha512WithRsa
            or CmsOids.EcdsaWithSha256 or CmsOids.EcdsaWithSha384 or CmsOids.EcdsaWithSha512 or CmsOids.Ed25519 => oid,
        _ => null,
    };

    private static bool SigningCertificateMatches(CmsSignature signature, out string problem)
    {
        var attribute = signature.SignedAttributes.FirstOrDefault(a => a.Oid == CmsOids.SigningCertificateV2);
        problem = string.Empty;
        if (attribute is null)
        {
            return true;
        }

        try
        {
            var certs = new AsnReader(attribute.Values[0], AsnEncodingRules.BER).ReadSequence().ReadSequence();
            var first = certs.ReadSequence();
            var hashOid = CmsOids.Sha256;
            if (first.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                hashOid = first.ReadSequence().ReadObjectIdentifier();
            }

            var expected = first.ReadOctetString();
            var der = signature.SignerCertificate.GetEncoded();
            byte[]? actual = CmsOids.DigestFromOid(hashOid)?.Name switch
            {
                "SHA256" => SHA256.HashData(der),
                "SHA384" => SHA384.HashData(der),
                "SHA512" => SHA512.HashData(der),
                _ => null,
            };
            if (actual is null)
            {
                problem = $"{signature.Source}: signingCertificateV2 uses an unsupported hash ({hashOid})";
                return false;
            }

            if (!CryptographicOperations.FixedTimeEquals(actual, expected))
            {
                problem = $"{signature.Source}: the signingCertificateV2 attribute names a different certificate than the signer's ({signature.SignerCertificate.SubjectDN})";
                return false;
            }

            return true;
        }
        catch (AsnContentException)
        {
            problem = $"{signature.Source}: the signingCertificateV2 attribute is malformed";
            return false;
        }
    }

    private static CmsSignature ParseCore(byte[] der, string source)
    {
        var contentInfo = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
        var contentType = contentInfo.ReadObjectIdentifier();
        if (contentType != CmsOids.SignedData)
        {
            throw new BadInputException($"{source}: the CMS content type is {contentType}, not SignedData.");
        }

        var signedData = contentInfo.ReadSequence(Context0).ReadSequence();
        signedData.ReadInteger();
        signedData.ReadSetOf();
        var encap = signedData.ReadSequence();
        encap.ReadObjectIdentifier();
        if (encap.HasData)
        {
            throw new BadInputException($"{source}: the signature embeds its content; a detached signature is expected (sign without -nodetach).");
        }

        var certificates = new List<X509Certificate>();
        if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(Context0))
        {
            var set = signedData.ReadSetOf(skipSortOrderValidation: true, Context0);
            while (set.HasData)
            {
                var encoded = set.ReadEncodedValue();
                if (encoded.Span[0] == 0x30)
                {
                    certificates.Add(new X509Certificate(encoded.ToArray()));
                }
            }
        }

        if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(Context1))
        {
            signedData.ReadEncodedValue(); // CRLs: revocation is the certificate verifier's business
        }

        var signerInfos = signedData.ReadSetOf(skipSortOrderValidation: true);
        var signerInfo = signerInfos.ReadSequence();
        if (signerInfos.HasData)
        {
            throw new BadInputException($"{source}: the signature has more than one signer; exactly one is supported.");
        }

        signerInfo.ReadInteger();
        var signer = FindSigner(signerInfo.ReadEncodedValue(), certificates)
            ?? throw new BadInputException($"{source}: the signer's certificate is not included in the signature.");
        var digestOid = new AsnReader(signerInfo.ReadEncodedValue(), AsnEncodingRules.BER).ReadSequence().ReadObjectIdentifier();
        var digest = CmsOids.DigestFromOid(digestOid)
            ?? throw new BadInputException($"{source}: unsupported digest algorithm {digestOid}.");

        byte[]? signedAttributesDer = null;
        var signedAttributes = new List<CmsAttribute>();
        if (signerInfo.PeekTag().HasSameClassAndValue(Context0))
        {
            signedAttributesDer = signerInfo.ReadEncodedValue().ToArray();
            signedAttributesDer[0] = 0x31; // §5.4: the signature covers the EXPLICIT SET OF encoding
            signedAttributes = ReadAttributes(new AsnReader(signedAttributesDer, AsnEncodingRules.BER).ReadSetOf(skipSortOrderValidation: true));
        }

        var signatureOid = new AsnReader(signerInfo.ReadEncodedValue(), AsnEncodingRules.BER).ReadSequence().ReadObjectIdentifier();
        var signatureValue = signerInfo.ReadOctetString();
        var unsignedAttributes = new List<CmsAttribute>();
        if (signerInfo.HasData && signerInfo.PeekTag().HasSameClassAndValue(Context1))
        {
            unsignedAttributes = ReadAttributes(signerInfo.ReadSetOf(skipSortOrderValidation: true, Context1));
        }

        return new CmsSignature(
            source,
            signer,
            certificates,
            digest,
            digestOid,
            signatureOid,
            signatureValue,
            signedAttributesDer,
            signedAttributes,
            unsignedAttributes,
            Single(signedAttributes, CmsOids.ContentType, source) is { } ct ? new AsnReader(ct, AsnEncodingRules.BER).ReadObjectIdentifier() : null,
            Single(signedAttributes, CmsOids.MessageDigest, source) is { } md ? new AsnReader(md, AsnEncodingRules.BER).ReadOctetString() : null,
            Single(signedAttributes, CmsOids.SigningTime, source) is { } st ? ReadTime(st) : null,
            Single(unsignedAttributes, CmsOids.TimeStampToken, source));
    }

    /// <summary>RFC 5652 §11: contentType, messageDigest and signingTime have exactly one value and appear at most once.</summary>
    private static byte[]? Single(List<CmsAttribute> attributes, string oid, string source)
    {
        var matches = attributes.Where(a => a.Oid == oid).ToList();
        if (matches.Count == 0)
        {
            return null;
        }

        if (matches.Count > 1 || matches[0].Values.Count != 1)
        {
            throw new BadInputException($"{source}: the attribute {oid} must occur once with one value.");
        }

        return matches[0].Values[0];
    }

    private static DateTimeOffset ReadTime(byte[] value)
    {
        var reader = new AsnReader(value, AsnEncodingRules.BER);
        return reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();
    }

    private static List<CmsAttribute> ReadAttributes(AsnReader set)
    {
        var attributes = new List<CmsAttribute>();
        while (set.HasData)
        {
            var attribute = set.ReadSequence();
            var oid = attribute.ReadObjectIdentifier();
            var values = new List<byte[]>();
            var valueSet = attribute.ReadSetOf(skipSortOrderValidation: true);
            while (valueSet.HasData)
            {
                values.Add(valueSet.ReadEncodedValue().ToArray());
            }

            attributes.Add(new CmsAttribute(oid, values));
        }

        return attributes;
    }

    /// <summary>SignerIdentifier: issuerAndSerialNumber, or [0] subjectKeyIdentifier.</summary>
    private static X509Certificate? FindSigner(ReadOnlyMemory<byte> sid, List<X509Certificate> certificates)
    {
        var reader = new AsnReader(sid, AsnEncodingRules.BER);
        if (reader.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var issuerAndSerial = reader.ReadSequence();
            var issuer = issuerAndSerial.ReadEncodedValue().ToArray();
            var serial = issuerAndSerial.ReadIntegerBytes().ToArray();
            return certificates.FirstOrDefault(c =>
                c.IssuerDN.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der).AsSpan().SequenceEqual(issuer)
                && c.SerialNumber.ToByteArray().AsSpan().SequenceEqual(serial));
        }

        var keyId = reader.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
        return certificates.FirstOrDefault(c =>
            c.GetExtensionValue(Org.BouncyCastle.Asn1.X509.X509Extensions.SubjectKeyIdentifier) is { } ext
            && Org.BouncyCastle.Asn1.X509.SubjectKeyIdentifier.GetInstance(ext.GetOctets()).GetKeyIdentifier().AsSpan().SequenceEqual(keyId));
    }
}
