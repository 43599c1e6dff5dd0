using System.Formats.Asn1;
using System.Security.Cryptography;
using PipelinePki.Core.Keys;
using X509Certificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Signing.Cms;

/// <summary>
/// Detached CMS SignedData (RFC 5652) over an artifact digest the caller computed once while
/// streaming the file. One SignerInfo, identified by issuer and serial number, with the signed
/// attributes contentType, signingTime, messageDigest and signingCertificateV2 (RFC 5035), and an
/// optional RFC 3161 timestamp token as unsigned attribute.
/// </summary>
public sealed class CmsDetachedSigner
{
    /// <summary>
    /// The digest algorithm for artifacts signed with <paramref name="spec"/>: the hash the key's
    /// signature algorithm uses (RFC 5753 ECDSA, RFC 5754 RSA), and SHA-512 for Ed25519, which
    /// RFC 8419 §3.1 requires ("When signing with Ed25519, the message digest algorithm MUST be SHA-512").
    /// </summary>
    public static HashAlgorithmName DigestFor(KeySpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Family switch
        {
            KeyAlgorithmFamily.Ed25519 => HashAlgorithmName.SHA512,
            KeyAlgorithmFamily.Ecdsa => spec.Bits >= 384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256,
            KeyAlgorithmFamily.Rsa => spec.Bits >= 4096 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256,
            _ => throw new ArgumentOutOfRangeException(nameof(spec)),
        };
    }

    public async Task<byte[]> SignAsync(CmsSignRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var expected = DigestFor(request.Key.Spec);
        if (request.DigestAlgorithm != expected)
        {
            throw new UsageException(
                $"A {request.Key.Spec.Name} key signs CMS with a {expected.Name} content digest, not {request.DigestAlgorithm.Name}.");
        }

        if (request.ContentDigest.Length != CmsOids.DigestLength(expected))
        {
            throw new UsageException($"The content digest has {request.ContentDigest.Length} bytes; {expected.Name} has {CmsOids.DigestLength(expected)}.");
        }

        if (!request.Certificate.CertificateStructure.SubjectPublicKeyInfo.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der)
            .AsSpan().SequenceEqual(request.Key.SubjectPublicKeyInfo))
        {
            throw new UsageException($"The signing certificate ({request.Certificate.SubjectDN}) is not for this key.");
        }

        var digestAlgorithm = DigestAlgorithmIdentifier(expected);
        var signedAttributes = SignedAttributes(request);

        // RFC 5652 §5.4: the signature covers the DER of the attributes with an EXPLICIT SET OF
        // tag (0x31), not the [0] IMPLICIT tag (0xA0) they carry inside the SignerInfo.
        var signature = request.Key.Sign(signedAttributes);

        byte[]? token = null;
        if (request.Timestamp is { } timestamp)
        {
            const string source = "timestamp authority";
            token = CmsTimestampToken.Extract(await timestamp(signature, ct).ConfigureAwait(false), source);
            if (!CmsTimestampToken.ImprintMatches(token, signature, out var problem))
            {
                throw new RemoteFailureException(source, $"{source}: {problem}.");
            }
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(CmsOids.SignedData);
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (writer.PushSequence())
            {
                // Version 1: issuerAndSerialNumber SID, id-data content, only X.509 certificates (§5.1).
                writer.WriteInteger(1);
                using (writer.PushSetOf())
                {
                    writer.WriteEncodedValue(digestAlgorithm);
                }

                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(CmsOids.Data); // no eContent: detached
                }

                using (writer.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var certificate in (IEnumerable<X509Certificate>)[request.Certificate, .. request.Chain])
                    {
                        var der = certificate.GetEncoded();
                        if (seen.Add(Convert.ToHexString(SHA256.HashData(der))))
                        {
                            writer.WriteEncodedValue(der);
                        }
                    }
                }

                using (writer.PushSetOf())
                using (writer.PushSequence())
                {
                    writer.WriteInteger(1);
                    writer.WriteEncodedValue(IssuerAndSerialNumber(request.Certificate));
                    writer.WriteEncodedValue(digestAlgorithm);
                    var implicitAttributes = (byte[])signedAttributes.Clone();
                    implicitAttributes[0] = 0xA0; // [0] IMPLICIT, constructed: same length and content
                    writer.WriteEncodedValue(implicitAttributes);
                    writer.WriteEncodedValue(request.Key.SignatureAlgorithmIdentifier);
                    writer.WriteOctetString(signature);
                    if (token is not null)
                    {
                        using (writer.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 1, isConstructed: true)))
                        {
                            WriteAttribute(writer, CmsOids.TimeStampToken, token);
                        }
                    }
                }
            }
        }

        return writer.Encode();
    }

    private static byte[] SignedAttributes(CmsSignRequest request)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);

        // PushSetOf under DER sorts the attributes by their encodings, as X.690 §11.6 requires.
        using (writer.PushSetOf())
        {
            WriteAttribute(writer, CmsOids.ContentType, Encode(w => w.WriteObjectIdentifier(CmsOids.Data)));
            WriteAttribute(writer, CmsOids.SigningTime, Encode(w => WriteTime(w, request.SigningTime)));
            WriteAttribute(writer, CmsOids.MessageDigest, Encode(w => w.WriteOctetString(request.ContentDigest)));
            WriteAttribute(writer, CmsOids.SigningCertificateV2, SigningCertificateV2(request.Certificate));
        }

        return writer.Encode();
    }

    /// <summary>RFC 5652 §11.3: UTCTime for 1950 through 2049, GeneralizedTime otherwise; whole seconds, UTC.</summary>
    private static void WriteTime(AsnWriter writer, DateTimeOffset time)
    {
        var utc = time.ToUniversalTime();
        utc = new DateTimeOffset(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        if (utc.Year is >= 1950 and <= 2049)
        {
            writer.WriteUtcTime(utc);
        }
        else
        {
            writer.WriteGeneralizedTime(utc, omitFractionalSeconds: true);
        }
    }

    /// <summary>
    /// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }; ESSCertIDv2 with the
    /// default hash (SHA-256, so the AlgorithmIdentifier is omitted under DER), the leaf's hash and
    /// its IssuerSerial (issuer as a directoryName GeneralName).
    /// </summary>
    private static byte[] SigningCertificateV2(X509Certificate certificate) => Encode(w =>
    {
        using (w.PushSequence())
        using (w.PushSequence())
        using (w.PushSequence())
        {
            w.WriteOctetString(SHA256.HashData(certificate.GetEncoded()));
            using (w.PushSequence())
            {
                using (w.PushSequence())
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                {
                    w.WriteEncodedValue(certificate.IssuerDN.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der));
                }

                w.WriteInteger(certificate.SerialNumber.ToByteArray());
            }
        }
    });

    private static byte[] IssuerAndSerialNumber(X509Certificate certificate) => Encode(w =>
    {
        using (w.PushSequence())
        {
            w.WriteEncodedValue(certificate.IssuerDN.GetEncoded(Org.BouncyCastle.Asn1.Asn1Encodable.Der));
            w.WriteInteger(certificate.SerialNumber.ToByteArray());
        }
    });

    /// <summary>RFC 5754 §2: SHA-2 AlgorithmIdentifiers omit the parameters.</summary>
    private static byte[] DigestAlgorithmIdentifier(HashAlgorithmName hash) => Encode(w =>
    {
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(CmsOids.DigestOid(hash));
        }
    });

    private static void WriteAttribute(AsnWriter writer, string oid, byte[] value)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(oid);
            using (writer.PushSetOf())
            {
                writer.WriteEncodedValue(value);
            }
        }
    }

    private static byte[] Encode(Action<AsnWriter> write)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        write(writer);
        return writer.Encode();
    }
}
