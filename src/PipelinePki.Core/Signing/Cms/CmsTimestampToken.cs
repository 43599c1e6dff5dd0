using System.Formats.Asn1;
using System.Security.Cryptography;

namespace PipelinePki.Core.Signing.Cms;

/// <summary>
/// The little of RFC 3161 that embedding needs: take the TimeStampToken out of a TimeStampResp and
/// read the message imprint of its TSTInfo, so a token for the wrong signature is never embedded.
/// Verifying the TSA's own signature is the timestamping module's job.
/// </summary>
internal static class CmsTimestampToken
{
    /// <summary>The DER TimeStampToken (a ContentInfo) in <paramref name="der"/>, which is either that token or a TimeStampResp.</summary>
    public static byte[] Extract(byte[] der, string source)
    {
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            if (outer.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                return der;
            }

            // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
            var status = outer.ReadSequence();
            var code = status.ReadInteger();
            if (code > 1 || !outer.HasData)
            {
                throw new RemoteFailureException(source, $"{source}: the timestamp authority refused (PKIStatus {code}).");
            }

            return outer.ReadEncodedValue().ToArray();
        }
        catch (AsnContentException e)
        {
            throw new RemoteFailureException(source, $"{source}: the timestamp response is not DER TimeStampResp or TimeStampToken.", e);
        }
    }

    /// <summary>The (hash algorithm OID, hashed message) of the token's TSTInfo.</summary>
    public static (string HashOid, byte[] Hash) ReadImprint(byte[] token)
    {
        var contentInfo = new AsnReader(token, AsnEncodingRules.BER).ReadSequence();
        if (contentInfo.ReadObjectIdentifier() != CmsOids.SignedData)
        {
            throw new AsnContentException("not SignedData");
        }

        var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
        signedData.ReadInteger();
        signedData.ReadSetOf();
        var encap = signedData.ReadSequence();
        if (encap.ReadObjectIdentifier() != CmsOids.TstInfo)
        {
            throw new AsnContentException("not TSTInfo");
        }

        var tstInfoDer = encap.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadOctetString();
        var tstInfo = new AsnReader(tstInfoDer, AsnEncodingRules.BER).ReadSequence();
        tstInfo.ReadInteger();
        tstInfo.ReadObjectIdentifier();
        var imprint = tstInfo.ReadSequence();
        var algorithm = imprint.ReadSequence().ReadObjectIdentifier();
        return (algorithm, imprint.ReadOctetString());
    }

    /// <summary>Whether the token's imprint is the hash of <paramref name="signatureValue"/>; a problem line when not.</summary>
    public static bool ImprintMatches(byte[] token, byte[] signatureValue, out string problem)
    {
        (string HashOid, byte[] Hash) imprint;
        try
        {
            imprint = ReadImprint(token);
        }
        catch (AsnContentException)
        {
            problem = "the timestamp token is not an RFC 3161 TimeStampToken";
            return false;
        }

        if (CmsOids.DigestFromOid(imprint.HashOid) is not { } hash || hash == HashAlgorithmName.SHA1)
        {
            problem = $"the timestamp token's message imprint uses an unsupported hash ({imprint.HashOid})";
            return false;
        }

        var expected = hash.Name switch
        {
            "SHA256" => SHA256.HashData(signatureValue),
            "SHA384" => SHA384.HashData(signatureValue),
            _ => SHA512.HashData(signatureValue),
        };
        if (!CryptographicOperations.FixedTimeEquals(expected, imprint.Hash))
        {
            problem = "the timestamp token's message imprint is not the hash of this signature value";
            return false;
        }

        problem = string.Empty;
        return true;
    }
}
