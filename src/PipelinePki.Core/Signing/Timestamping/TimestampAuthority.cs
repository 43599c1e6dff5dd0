using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cmp;
using Org.BouncyCastle.Asn1.Nist;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.Utilities.Collections;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Signing.Timestamping;

/// <summary>
/// An RFC 3161 timestamp authority: turns a DER TimeStampReq into a DER TimeStampResp. The token is
/// signed through <see cref="ISigningKey"/> (software or hardware), carries a whole-second genTime
/// (some verifiers, Sigstore's among them, mis-handle fractional seconds), a random 127-bit serial,
/// the request's nonce, a signingCertificateV2 (ESSCertIDv2, SHA-256) attribute, and the TSA
/// certificate and chain when the request asks for them.
/// </summary>
public sealed class TimestampAuthority
{
    private static readonly IList<string> NoExtensions = [];

    private readonly X509Certificate tsaCertificate;
    private readonly DerObjectIdentifier policy;
    private readonly TimeProvider time;
    private readonly TimeStampTokenGenerator tokenGenerator;
    private readonly Lock signing = new();

    public TimestampAuthority(
        ISigningKey key,
        X509Certificate tsaCertificate,
        IReadOnlyList<X509Certificate> chain,
        string policyOid,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(tsaCertificate);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(time);
        if (!DerObjectIdentifier.TryFromID(policyOid, out var parsedPolicy))
        {
            throw new ArgumentException($"'{policyOid}' is not an object identifier.", nameof(policyOid));
        }

        if (!tsaCertificate.SubjectPublicKeyInfo.GetEncoded().AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
        {
            throw new ArgumentException("The TSA certificate does not certify this key.", nameof(tsaCertificate));
        }

        TimestampVerifier.CheckTimeStampingUsage(tsaCertificate);
        this.tsaCertificate = tsaCertificate;
        policy = parsedPolicy;
        this.time = time;

        var signerInfo = new SignerInfoGeneratorBuilder().Build(new KeySignatureFactory(key), tsaCertificate);
        tokenGenerator = new TimeStampTokenGenerator(
            signerInfo,
            Asn1DigestFactory.Get(NistObjectIdentifiers.IdSha256),
            parsedPolicy,
            isIssuerSerialIncluded: true);
        tokenGenerator.SetCertificates(CollectionUtilities.CreateStore(
            new[] { tsaCertificate }.Concat(chain.Where(c => !c.Equals(tsaCertificate))).ToList()));
        tokenGenerator.SetAccuracySeconds(1);
        tokenGenerator.Resolution = Resolution.R_SECONDS;
    }

    public X509Certificate Certificate => tsaCertificate;

    public string PolicyOid => policy.Id;

    /// <summary>Answers one request. Never throws for a bad request: that gets a rejection response.</summary>
    public byte[] Respond(byte[] timeStampRequestDer)
    {
        ArgumentNullException.ThrowIfNull(timeStampRequestDer);
        TimeStampRequest request;
        try
        {
            request = new TimeStampRequest(timeStampRequestDer);
            _ = request.GetMessageImprintDigest();
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or InvalidOperationException or TspException)
        {
            return Reject(PkiFailureInfo.BadRequest, "malformed request: not a DER TimeStampReq");
        }

        var hashOid = request.MessageImprintAlgOid;
        var expectedLength = TimestampHashes.LengthOf(hashOid);
        if (expectedLength == 0)
        {
            return Reject(PkiFailureInfo.BadAlg, $"unsupported hash algorithm {hashOid}; use {TimestampHashes.Supported}");
        }

        if (request.GetMessageImprintDigest().Length != expectedLength)
        {
            return Reject(PkiFailureInfo.BadDataFormat, $"message imprint is {request.GetMessageImprintDigest().Length} bytes, not {expectedLength}");
        }

        if (request.ReqPolicy is { } asked && asked != policy.Id)
        {
            return Reject(PkiFailureInfo.UnacceptedPolicy, $"policy {asked} is not offered; this TSA uses {policy.Id}");
        }

        if (request.HasExtensions)
        {
            return Reject(PkiFailureInfo.UnacceptedExtension, "request extensions are not supported");
        }

        var now = time.GetUtcNow();
        var genTime = new DateTime(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        TimeStampResponse response;
        lock (signing)
        {
            var generator = new TimeStampResponseGenerator(tokenGenerator, TimestampHashes.Oids.ToList(), [policy.Id], NoExtensions);
            response = generator.GenerateGrantedResponse(request, CertificateFactory.NewSerialNumber(), genTime, "Operation Okay", null);
        }

        return response.GetEncoded(Asn1Encodable.Der);
    }

    private byte[] Reject(int failInfo, string reason)
    {
        var generator = new TimeStampResponseGenerator(tokenGenerator, TimestampHashes.Oids.ToList());
        return generator.GenerateFailResponse(PkiStatus.Rejection, failInfo, reason).GetEncoded(Asn1Encodable.Der);
    }
}
