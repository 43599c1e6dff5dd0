using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Asn1.Tsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.X509;

namespace PipelinePki.Core.Signing.Timestamping;

/// <summary>What a verified timestamp token says.</summary>
/// <param name="GenTime">When the TSA saw the imprint (whole seconds from our TSA; others may add fractions).</param>
/// <param name="TsaCertificate">The certificate that signed the token (its chain is for the caller's path validation).</param>
/// <param name="Certificates">Every certificate the token carries, the TSA's included.</param>
/// <param name="SerialNumber">The token's serial, upper-case hex.</param>
/// <param name="PolicyOid">The TSA policy the token was issued under.</param>
/// <param name="Accuracy">The TSA's stated accuracy, when it gave one.</param>
/// <param name="Nonce">The nonce, upper-case hex, when the request carried one.</param>
public sealed record TimestampVerification(
    DateTimeOffset GenTime,
    X509Certificate TsaCertificate,
    IReadOnlyList<X509Certificate> Certificates,
    string SerialNumber,
    string PolicyOid,
    TimeSpan? Accuracy,
    string? Nonce);

/// <summary>
/// Checks an RFC 3161 token on its own: that it timestamps the expected imprint, that its
/// signature verifies with the certificate it names (ESSCertID/ESSCertIDv2 binding included), and
/// that this certificate is a TSA certificate (critical extended key usage of id-kp-timeStamping
/// only, RFC 3161 §2.3). Whether the TSA certificate chains to a trusted root is the chain
/// validator's job, not this class's.
/// </summary>
public static class TimestampVerifier
{
    /// <summary>Accepts a whole DER TimeStampResp or a bare TimeStampToken (a CMS ContentInfo).</summary>
    /// <exception cref="BadInputException">Neither structure, or a token that does not parse.</exception>
    /// <exception cref="NotValidException">Refused response, wrong imprint, bad signature, not a TSA certificate.</exception>
    public static TimestampVerification Verify(byte[] timeStampRespOrToken, byte[] expectedImprint, HashAlgorithmName hash)
    {
        ArgumentNullException.ThrowIfNull(timeStampRespOrToken);
        ArgumentNullException.ThrowIfNull(expectedImprint);
        var hashOid = TimestampHashes.OidOf(hash);
        var token = ReadToken(timeStampRespOrToken);
        var info = token.TimeStampInfo;

        if (info.MessageImprintAlgOid != hashOid)
        {
            throw new NotValidException(
                $"The timestamp covers a {NameOf(info.MessageImprintAlgOid)} imprint, not the expected {hash.Name}.");
        }

        if (!CryptographicOperations.FixedTimeEquals(info.GetMessageImprintDigest(), expectedImprint))
        {
            throw new NotValidException("The timestamp is for different data: its message imprint does not match.");
        }

        var certificates = token.GetCertificates().EnumerateMatches(null).ToList();
        var signer = token.GetCertificates().EnumerateMatches(token.SignerID).FirstOrDefault()
            ?? throw new NotValidException(
                "The timestamp token does not carry the TSA certificate (request it with certReq), so its signature cannot be checked.");
        CheckTimeStampingUsage(signer);
        try
        {
            token.Validate(signer);
        }
        catch (TspValidationException e)
        {
            throw new NotValidException($"The timestamp token is not valid: {e.Message.TrimEnd('.')}.", e);
        }
        catch (Exception e) when (e is TspException or CmsException or CertificateException or InvalidOperationException or ArgumentException)
        {
            throw new NotValidException($"The timestamp token signature does not verify: {e.Message.TrimEnd('.')}.", e);
        }

        return new TimestampVerification(
            new DateTimeOffset(DateTime.SpecifyKind(info.GenTime, DateTimeKind.Utc)),
            signer,
            certificates,
            info.SerialNumber.ToString(16).ToUpperInvariant(),
            info.Policy,
            AccuracyOf(info.TstInfo.Accuracy),
            info.Nonce?.ToString(16).ToUpperInvariant());
    }

    /// <summary>RFC 3161 §2.3: the extended key usage must be present, critical, and id-kp-timeStamping alone.</summary>
    internal static void CheckTimeStampingUsage(X509Certificate certificate)
    {
        var subject = certificate.SubjectDN.ToString();
        if (!certificate.GetCriticalExtensionOids().Contains(X509Extensions.ExtendedKeyUsage.Id))
        {
            throw new NotValidException(
                $"The TSA certificate '{subject}' has no critical extended key usage; RFC 3161 requires id-kp-timeStamping, critical.");
        }

        var usages = certificate.GetExtendedKeyUsage();
        if (usages.Count != 1 || !usages[0].Equals(KeyPurposeID.id_kp_timeStamping))
        {
            throw new NotValidException(
                $"The TSA certificate '{subject}' must have id-kp-timeStamping as its only extended key usage (has {string.Join(", ", usages.Select(u => u.Id))}).");
        }
    }

    internal static TimeStampToken ReadToken(byte[] der)
    {
        Asn1Sequence sequence;
        try
        {
            sequence = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(der));
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException)
        {
            throw new BadInputException("The timestamp is not DER: expected a TimeStampResp or a TimeStampToken.", e);
        }

        ContentInfo contentInfo;
        try
        {
            if (sequence.Count > 0 && sequence[0] is DerObjectIdentifier)
            {
                contentInfo = ContentInfo.GetInstance(sequence);
            }
            else
            {
                var response = TimeStampResp.GetInstance(sequence);
                var status = response.Status.Status.IntValueExact;
                if (status is not (0 or 1))
                {
                    var text = response.Status.StatusString is { } free
                        ? string.Join("; ", Enumerable.Range(0, free.Count).Select(i => free[i].GetString()))
                        : null;
                    throw new NotValidException(
                        $"The timestamp response is a refusal (PKIStatus {status}{(text is null ? string.Empty : ": " + text)}), not a token.");
                }

                contentInfo = response.TimeStampToken
                    ?? throw new NotValidException("The timestamp response is granted but carries no token.");
            }

            return new TimeStampToken(contentInfo);
        }
        catch (TspValidationException e)
        {
            // BouncyCastle refuses, while parsing, a token without its signingCertificate(V2) attribute.
            throw new NotValidException($"The timestamp token is not valid: {e.Message.TrimEnd('.')}.", e);
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or TspException or CmsException)
        {
            throw new BadInputException($"The timestamp token does not parse: {e.Message.TrimEnd('.')}.", e);
        }
    }

    private static string NameOf(string oid) => oid switch
    {
        _ when oid == TimestampHashes.Oids[0] => "SHA256",
        _ when oid == TimestampHashes.Oids[1] => "SHA384",
        _ when oid == TimestampHashes.Oids[2] => "SHA512",
        _ => oid,
    };

    private static TimeSpan? AccuracyOf(Accuracy? accuracy)
    {
        if (accuracy is null)
        {
            return null;
        }

        var seconds = accuracy.Seconds?.LongValueExact ?? 0;
        var millis = accuracy.Millis?.LongValueExact ?? 0;
        var micros = accuracy.Micros?.LongValueExact ?? 0;
        return TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(millis) + TimeSpan.FromMicroseconds(micros);
    }
}
