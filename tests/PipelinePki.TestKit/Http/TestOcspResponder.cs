using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.X509;

namespace PipelinePki.TestKit.Http;

/// <summary>How a <see cref="TestOcspResponder"/> misbehaves on purpose.</summary>
public enum OcspResponderFault
{
    None,

    /// <summary>OCSPResponseStatus tryLater (3), no body.</summary>
    TryLater,

    /// <summary>OCSPResponseStatus internalError (2), no body.</summary>
    InternalError,

    /// <summary>OCSPResponseStatus unauthorized (6), no body.</summary>
    Unauthorized,

    /// <summary>HTTP 200 with bytes that are not DER at all.</summary>
    MalformedBytes,

    /// <summary>A correctly built response whose signature has one byte flipped.</summary>
    TamperedSignature,
}

/// <summary>
/// An RFC 6960 responder for tests, served by <see cref="LoopbackPkiServer"/>. Statuses come from a
/// serial map (absent means unknown, as with OpenSSL's responder); every knob that a real
/// responder gets wrong in the field can be turned here. OpenSSL's <c>ocsp</c> client checks that
/// the well-behaved answers are right, so the misbehaviours are deviations from a known-good base.
/// </summary>
public sealed class TestOcspResponder : LoopbackEndpoint
{
    private readonly LoopbackPkiServer server;
    private readonly AsymmetricKeyParameter signerKey;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<BigInteger, Entry> statuses = new();

    internal TestOcspResponder(LoopbackPkiServer server, string path, X509Certificate issuer, X509Certificate signer, AsymmetricKeyParameter signerKey, TimeProvider time)
        : base(path)
    {
        this.server = server;
        this.signerKey = signerKey;
        this.time = time;
        Issuer = issuer;
        Signer = signer;
    }

    public Uri Url => server.UrlOf(Path);

    /// <summary>The CA whose certificates this responder answers for (CertIDs of other issuers get "unknown").</summary>
    public X509Certificate Issuer { get; }

    public X509Certificate Signer { get; }

    /// <summary>Copy the request's nonce into the response (RFC 8954); many real responders do not.</summary>
    public bool EchoNonce { get; set; } = true;

    /// <summary>Answer with this nonce instead of the one asked for (a replayed or mixed-up response).</summary>
    public byte[]? NonceOverride { get; set; }

    public OcspResponderFault Fault { get; set; }

    /// <summary>Wait this long before answering (a slow responder).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>thisUpdate relative to the responder's clock: negative for an old answer, positive for one from the future.</summary>
    public TimeSpan ThisUpdateOffset { get; set; }

    /// <summary>nextUpdate = thisUpdate + this; null omits nextUpdate.</summary>
    public TimeSpan? NextUpdateAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>ResponderID byKey (SHA-1 of the signer key) instead of byName.</summary>
    public bool ResponderIdByKey { get; set; }

    /// <summary>Include the signer certificate in the response, as OpenSSL does unless told otherwise.</summary>
    public bool IncludeSignerCertificate { get; set; } = true;

    /// <summary>Further certificates to include in the response.</summary>
    public IList<X509Certificate> ExtraCertificates { get; } = [];

    public void SetGood(X509Certificate certificate) => SetGood(certificate.SerialNumber);

    public void SetGood(BigInteger serial) => statuses[serial] = new Entry(null, null);

    public void SetRevoked(X509Certificate certificate, DateTimeOffset revokedAt, int? reason = null) =>
        SetRevoked(certificate.SerialNumber, revokedAt, reason);

    public void SetRevoked(BigInteger serial, DateTimeOffset revokedAt, int? reason = null) =>
        statuses[serial] = new Entry(WholeSeconds(revokedAt), reason);

    public void SetUnknown(BigInteger serial) => statuses.TryRemove(serial, out _);

    /// <summary>The DER OCSPResponse this responder gives for <paramref name="requestDer"/>, with all configured faults.</summary>
    public byte[] Respond(byte[] requestDer)
    {
        switch (Fault)
        {
            case OcspResponderFault.MalformedBytes:
                return "this is not an OCSP response"u8.ToArray();
            case OcspResponderFault.TryLater:
                return StatusOnly(OcspRespStatus.TryLater);
            case OcspResponderFault.InternalError:
                return StatusOnly(OcspRespStatus.InternalError);
            case OcspResponderFault.Unauthorized:
                return StatusOnly(OcspRespStatus.Unauthorized);
        }

        OcspReq request;
        try
        {
            request = new OcspReq(requestDer);
            _ = request.GetRequestList();
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidCastException or Asn1Exception or InvalidOperationException)
        {
            return StatusOnly(OcspRespStatus.MalformedRequest);
        }

        var generator = new BasicOcspRespGenerator(ResponderIdByKey ? new RespID(Signer.GetPublicKey()) : new RespID(Signer.SubjectDN));
        var now = WholeSeconds(time.GetUtcNow());
        var thisUpdate = now + ThisUpdateOffset;
        DateTime? nextUpdate = NextUpdateAfter is { } after ? (thisUpdate + after).UtcDateTime : null;
        foreach (var single in request.GetRequestList())
        {
            var id = single.GetCertID();
            generator.AddResponse(id, StatusOf(id), thisUpdate.UtcDateTime, nextUpdate, null);
        }

        var nonce = request.RequestExtensions?.GetExtension(OcspObjectIdentifiers.PkixOcspNonce);
        if (EchoNonce && (nonce is not null || NonceOverride is not null))
        {
            var extensions = new X509ExtensionsGenerator();
            if (NonceOverride is { } other)
            {
                extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, new DerOctetString(other));
            }
            else
            {
                extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, nonce!.Value.GetOctets());
            }

            generator.SetResponseExtensions(extensions.Generate());
        }

        var certificates = (IncludeSignerCertificate ? new[] { Signer } : []).Concat(ExtraCertificates).ToArray();
        var basic = generator.Generate(
            new Asn1SignatureFactory(TestSigningKeys.SignatureAlgorithmFor(signerKey), signerKey),
            certificates,
            now.UtcDateTime);
        if (Fault == OcspResponderFault.TamperedSignature)
        {
            basic = WithFlippedSignatureByte(basic);
        }

        return new OCSPRespGenerator().Generate(OcspRespStatus.Successful, basic).GetEncoded();
    }

    protected override async Task HandleCoreAsync(HttpContext context, string? suffix)
    {
        if (Delay > TimeSpan.Zero)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, server.Stopping);
            try
            {
                await Task.Delay(Delay, linked.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        byte[] requestDer;
        if (HttpMethods.IsPost(context.Request.Method) && suffix is null)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            requestDer = body.ToArray();
        }
        else if (HttpMethods.IsGet(context.Request.Method) && !string.IsNullOrEmpty(suffix))
        {
            // RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}.
            try
            {
                requestDer = Convert.FromBase64String(Uri.UnescapeDataString(suffix));
            }
            catch (FormatException)
            {
                await WriteAsync(context, StatusOnly(OcspRespStatus.MalformedRequest));
                return;
            }
        }
        else
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        await WriteAsync(context, Respond(requestDer));
    }

    private static async Task WriteAsync(HttpContext context, byte[] der)
    {
        context.Response.ContentType = "application/ocsp-response";
        context.Response.ContentLength = der.Length;
        await context.Response.Body.WriteAsync(der, context.RequestAborted);
    }

    private CertificateStatus? StatusOf(CertificateID id)
    {
        if (!id.MatchesIssuer(Issuer) || !statuses.TryGetValue(id.SerialNumber, out var entry))
        {
            return new UnknownStatus();
        }

        return entry.RevokedAt switch
        {
            null => CertificateStatus.Good,
            { } at when entry.Reason is { } reason => new RevokedStatus(at.UtcDateTime, reason),
            { } at => new RevokedStatus(at.UtcDateTime),
        };
    }

    private static byte[] StatusOnly(int status) => new OCSPRespGenerator().Generate(status, null).GetEncoded();

    private static BasicOcspResp WithFlippedSignatureByte(BasicOcspResp basic)
    {
        var structure = BasicOcspResponse.GetInstance(Asn1Object.FromByteArray(basic.GetEncoded()));
        var signature = structure.Signature.GetOctets();
        // The last byte of an ECDSA or RSA signature is value, not DER framing: still parses, no longer verifies.
        signature[^1] ^= 0x01;
        return new BasicOcspResp(new BasicOcspResponse(structure.TbsResponseData, structure.SignatureAlgorithm, new DerBitString(signature), structure.Certs));
    }

    // GeneralizedTime in OCSP is conventionally whole seconds (RFC 5280 §4.1.2.5.2 profile).
    private static DateTimeOffset WholeSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private sealed record Entry(DateTimeOffset? RevokedAt, int? Reason);
}
