using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Ocsp;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Ocsp;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;

namespace PipelinePki.Core.Validation.Ocsp;

/// <summary>
/// Asks an OCSP responder (RFC 6960) about one certificate and believes the answer only after
/// checking it strictly: signature, responder authorization (§4.2.2.2), CertID, nonce and
/// freshness at the validation time. Anything short of an authoritative answer is
/// <see cref="RevocationState.Undetermined"/> with a one-line reason naming the responder; only a
/// cancellation of the caller's own token escapes as an exception.
/// </summary>
/// <remarks>
/// One instance lives for one run: answers are cached per (issuer key hash, serial, responder),
/// so a certificate met on several candidate paths costs one request. Failures are cached too, so
/// a dead responder is not asked again for every certificate of the run. What is cached is the
/// verified response, not the verdict: time checks run on every call against that call's
/// validation time.
/// </remarks>
public sealed class OcspChecker
{
    public const string MethodName = "ocsp";

    /// <summary>Tolerated difference between the responder's clock and the validation time.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>RFC 8954 §2.1: clients SHOULD use 32 octets (and responders need not accept more).</summary>
    internal const int NonceLength = 32;

    private readonly IOcspTransport transport;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<CacheKey, Lazy<Task<Answer>>> cache = new();

    public OcspChecker(IOcspTransport transport, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(time);
        this.transport = transport;
        this.time = time;
    }

    /// <summary>
    /// What <paramref name="responder"/> says about <paramref name="certificate"/> at the validation
    /// time <paramref name="at"/>. <see cref="RevocationState.Revoked"/> is reported as the responder
    /// states it, whatever the revocation time; weighing a revocation dated after <paramref name="at"/>
    /// is the validator's business, as it is for CRL entries.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<RevocationStatus> CheckAsync(
        X509Certificate certificate,
        X509Certificate issuer,
        Uri responder,
        DateTimeOffset at,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(responder);
        var url = responder.IsAbsoluteUri ? responder.AbsoluteUri : responder.OriginalString;

        // SHA-1 CertIDs: RFC 5019 §2.1.1 makes them the interoperable choice and every responder
        // accepts them; CertID hashes identify, they are not a security boundary (the signature is).
        var id = new CertificateID(CertificateID.DigestSha1, issuer, certificate.SerialNumber);
        var key = new CacheKey(Convert.ToHexString(id.GetIssuerKeyHash()), certificate.SerialNumber, url);
        var answer = await GetAnswerAsync(key, id, issuer, responder, url, cancellationToken);
        return Evaluate(answer, url, at);
    }

    private async Task<Answer> GetAnswerAsync(
        CacheKey key,
        CertificateID id,
        X509Certificate issuer,
        Uri responder,
        string url,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var entry = cache.GetOrAdd(key, _ => new Lazy<Task<Answer>>(() => FetchAsync(id, issuer, responder, url, cancellationToken)));
            try
            {
                return await entry.Value.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The shared request belonged to another caller who cancelled it. That says nothing
                // about the responder, so forget it and ask again for this caller.
                cache.TryRemove(new KeyValuePair<CacheKey, Lazy<Task<Answer>>>(key, entry));
            }
        }
    }

    private async Task<Answer> FetchAsync(CertificateID id, X509Certificate issuer, Uri responder, string url, CancellationToken cancellationToken)
    {
        var nonce = new DerOctetString(RandomNumberGenerator.GetBytes(NonceLength));
        var generator = new OcspReqGenerator();
        generator.AddRequest(id);
        var extensions = new X509ExtensionsGenerator();
        extensions.AddExtension(OcspObjectIdentifiers.PkixOcspNonce, false, nonce);
        generator.SetRequestExtensions(extensions.Generate());
        var request = generator.Generate().GetEncoded();

        var started = time.GetTimestamp();
        byte[] der;
        try
        {
            der = await transport.SendAsync(responder, request, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The transport is pluggable and the network is hostile: whatever it throws, the answer
            // is "could not find out", never a crash of the whole verification.
            return Answer.Failed(Undetermined(url, DescribeTransportFailure(e, time.GetElapsedTime(started))));
        }

        try
        {
            return Inspect(der, id, issuer, nonce.GetEncoded(), url);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // BouncyCastle reports broken DER with a zoo of exception types; all mean the same here.
            return Answer.Failed(Undetermined(url, $"malformed response ({OneLine(e.Message)})"));
        }
    }

    /// <summary>Everything about the response that does not depend on the validation time.</summary>
    private static Answer Inspect(byte[] der, CertificateID id, X509Certificate issuer, byte[] sentNonce, string url)
    {
        if (der.Length == 0)
        {
            return Answer.Failed(Undetermined(url, "malformed response (empty body)"));
        }

        var response = new OcspResp(OcspResponse.GetInstance(Asn1Object.FromByteArray(der)));
        if (response.Status != OcspRespStatus.Successful)
        {
            return Answer.Failed(Undetermined(url, $"responder answered {StatusName(response.Status)}"));
        }

        var body = response.ToAsn1Structure().ResponseBytes;
        if (body is null)
        {
            return Answer.Failed(Undetermined(url, "malformed response (status successful but no response bytes)"));
        }

        if (!OcspObjectIdentifiers.PkixOcspBasic.Equals(body.ResponseType))
        {
            return Answer.Failed(Undetermined(url, $"unsupported response type {body.ResponseType.Id} (only id-pkix-ocsp-basic is understood)"));
        }

        var basic = new BasicOcspResp(BasicOcspResponse.GetInstance(Asn1Object.FromByteArray(body.Response.GetOctets())));
        if (UnsupportedCriticalExtension(basic.ResponseExtensions, OcspObjectIdentifiers.PkixOcspNonce) is { } critical)
        {
            return Answer.Failed(Undetermined(url, $"response carries an unsupported critical extension {critical}"));
        }

        // §4.2.2.2: find the signer the ResponderID names, then prove the signature with its key.
        var responderId = basic.ResponderId.ToAsn1Object();
        var named = new[] { issuer }.Concat(basic.GetCerts() ?? []).Where(c => Identifies(responderId, c)).ToList();
        if (named.Count == 0)
        {
            return Answer.Failed(Unauthorized(url, $"{DescribeResponderId(responderId)} is neither the issuer nor a certificate included in the response"));
        }

        var signer = named.FirstOrDefault(c => SignatureVerifies(basic, c));
        if (signer is null)
        {
            return Answer.Failed(Undetermined(url, "response signature does not verify"));
        }

        X509Certificate? delegated = null;
        if (!IsSameKeyAndName(signer, issuer))
        {
            if (AuthorizationProblem(signer, issuer) is { } problem)
            {
                return Answer.Failed(Unauthorized(url, problem));
            }

            delegated = signer;
        }

        var single = basic.Responses.FirstOrDefault(r => Covers(r.GetCertID(), id.SerialNumber, issuer));
        if (single is null)
        {
            return Answer.Failed(Undetermined(url, $"response does not cover the requested certificate (serial {CertificateDescriber.FormatSerial(id.SerialNumber)})"));
        }

        if (UnsupportedCriticalExtension(single.SingleExtensions) is { } singleCritical)
        {
            return Answer.Failed(Undetermined(url, $"response carries an unsupported critical extension {singleCritical}"));
        }

        // RFC 8954 §2.2: a responder may answer without the nonce (pre-produced responses, as
        // RFC 5019 responders do); then only freshness protects against replay. A nonce that is
        // present must be ours, or the response belongs to another request.
        var echoed = basic.ResponseExtensions?.GetExtension(OcspObjectIdentifiers.PkixOcspNonce);
        if (echoed is not null && !echoed.Value.GetOctets().AsSpan().SequenceEqual(sentNonce))
        {
            return Answer.Failed(Undetermined(url, "response nonce does not match the request (replayed or misdirected response)"));
        }

        return new Answer(null, single, delegated, echoed is not null);
    }

    private static RevocationStatus Evaluate(Answer answer, string url, DateTimeOffset at)
    {
        if (answer.Failure is { } failure)
        {
            return failure;
        }

        var single = answer.Single!;
        if (answer.Delegated is { } responderCertificate)
        {
            var notBefore = Utc(responderCertificate.NotBefore);
            var notAfter = Utc(responderCertificate.NotAfter);
            if (at < notBefore || at > notAfter)
            {
                return Unauthorized(url, $"delegated responder {Name(responderCertificate)} is not valid at the validation time {Format(at)} (valid {Format(notBefore)} to {Format(notAfter)})");
            }
        }

        // The response must speak for the validation time: thisUpdate no later than it and
        // nextUpdate no earlier (each give or take the clock skew). Without nextUpdate the responder
        // claims newer information is always available (§4.2.2.1), so the answer is only good at
        // its own thisUpdate.
        var thisUpdate = Utc(single.ThisUpdate);
        DateTimeOffset? nextUpdate = single.NextUpdate is { } next ? Utc(next) : null;
        var skew = $"{ClockSkew.TotalMinutes:0} min";
        if (thisUpdate > at + ClockSkew)
        {
            return Undetermined(url, $"response is not yet valid: thisUpdate {Format(thisUpdate)} is after the validation time {Format(at)} by more than {skew}");
        }

        if (nextUpdate is { } nextTime && nextTime < at - ClockSkew)
        {
            return Undetermined(url, $"response is stale: nextUpdate {Format(nextTime)} is before the validation time {Format(at)}");
        }

        if (nextUpdate is null && thisUpdate < at - ClockSkew)
        {
            return Undetermined(url, $"response is stale: no nextUpdate and thisUpdate {Format(thisUpdate)} is more than {skew} before the validation time {Format(at)}");
        }

        var signedBy = answer.Delegated is { } d
            ? $"delegated responder {Name(d)}" + (HasNoCheck(d) ? " (id-pkix-ocsp-nocheck)" : ", whose own revocation was not checked (no id-pkix-ocsp-nocheck)")
            : "the issuer";
        var window = $"thisUpdate {Format(thisUpdate)}" + (nextUpdate is { } n ? $", nextUpdate {Format(n)}" : string.Empty);
        var nonceNote = answer.NonceEchoed ? string.Empty : "; nonce not echoed";
        var status = single.GetCertStatus();
        switch (status)
        {
            case null:
                return new RevocationStatus(RevocationState.Good, MethodName, $"{url}: good (signed by {signedBy}; {window}{nonceNote})");
            case RevokedStatus revoked:
                var revokedAt = Utc(revoked.RevocationTime);
                var reason = revoked.HasRevocationReason ? RevocationReasons.Name(revoked.RevocationReason) : null;
                return new RevocationStatus(
                    RevocationState.Revoked,
                    MethodName,
                    $"{url}: revoked at {Format(revokedAt)} ({reason ?? "no reason given"}; signed by {signedBy}{nonceNote})",
                    revokedAt,
                    reason);
            case UnknownStatus:
                return Undetermined(url, "status unknown (the responder does not know this certificate)");
            default:
                return Undetermined(url, $"unrecognised certificate status {status.GetType().Name}");
        }
    }

    /// <summary>§4.2.2.2 for a signer that is not the issuer: a delegated responder certificate issued by the issuer itself.</summary>
    private static string? AuthorizationProblem(X509Certificate signer, X509Certificate issuer)
    {
        if (!signer.IssuerDN.Equivalent(issuer.SubjectDN) || !SafeIsSignatureValid(signer, issuer))
        {
            return $"{Name(signer)} was not issued by the certificate's issuer {Name(issuer)}";
        }

        // Only the explicit purpose counts: anyExtendedKeyUsage must not make any leaf a responder.
        var eku = ExtendedKeyUsage.FromExtensions(signer.CertificateStructure.TbsCertificate.Extensions);
        if (eku is null || !eku.HasKeyPurposeId(KeyPurposeID.id_kp_OCSPSigning))
        {
            return $"{Name(signer)} lacks the id-kp-OCSPSigning extended key usage";
        }

        // RFC 5280 §4.2.1.3: when key usage is present, signing anything but certificates and CRLs needs digitalSignature.
        var keyUsage = signer.GetKeyUsage();
        if (keyUsage is not null && !keyUsage[0] && !keyUsage[1])
        {
            return $"{Name(signer)} key usage does not allow digitalSignature";
        }

        return null;
    }

    private static bool Identifies(ResponderID responderId, X509Certificate certificate)
    {
        if (responderId.Name is { } name)
        {
            return name.Equivalent(certificate.SubjectDN);
        }

        // byKey: SHA-1 of the subjectPublicKey BIT STRING value (§4.2.1), whatever the key type.
        var hash = responderId.GetKeyHash();
        return hash is not null && hash.AsSpan().SequenceEqual(KeyHash(certificate));
    }

    private static string DescribeResponderId(ResponderID responderId) => responderId.Name is { } name
        ? $"responder {CertificateDescriber.FormatName(name)}"
        : $"responder key hash {Convert.ToHexString(responderId.GetKeyHash() ?? [])}";

    private static byte[] KeyHash(X509Certificate certificate)
    {
#pragma warning disable CA5350 // SHA-1 is what RFC 6960 §4.2.1 defines for byKey; it identifies, it does not protect.
        return SHA1.HashData(certificate.SubjectPublicKeyInfo.PublicKey.GetBytes());
#pragma warning restore CA5350
    }

    private static bool SignatureVerifies(BasicOcspResp basic, X509Certificate certificate)
    {
        try
        {
            return basic.Verify(certificate.GetPublicKey());
        }
        catch (Exception e) when (e is OcspException or ArgumentException or InvalidOperationException or InvalidCastException
            or Org.BouncyCastle.Security.SecurityUtilityException or Org.BouncyCastle.Crypto.CryptoException)
        {
            // A key of the wrong type or an unknown algorithm simply does not verify.
            return false;
        }
    }

    private static bool SafeIsSignatureValid(X509Certificate certificate, X509Certificate issuer)
    {
        try
        {
            return certificate.IsSignatureValid(issuer.GetPublicKey());
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InvalidCastException
            or Org.BouncyCastle.Security.SecurityUtilityException or Org.BouncyCastle.Crypto.CryptoException
            or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return false;
        }
    }

    private static bool IsSameKeyAndName(X509Certificate a, X509Certificate b) =>
        a.SubjectDN.Equivalent(b.SubjectDN) && a.SubjectPublicKeyInfo.Equals(b.SubjectPublicKeyInfo);

    private static bool HasNoCheck(X509Certificate certificate) =>
        certificate.GetExtensionValue(OcspObjectIdentifiers.PkixOcspNocheck) is not null;

    private static bool Covers(CertificateID responded, BigInteger serial, X509Certificate issuer)
    {
        if (!responded.SerialNumber.Equals(serial))
        {
            return false;
        }

        try
        {
            // Recomputes the name and key hashes with the responder's algorithm, so a responder
            // that answers with a SHA-256 CertID to our SHA-1 request is still matched exactly.
            return responded.MatchesIssuer(issuer);
        }
        catch (Exception e) when (e is OcspException or ArgumentException or InvalidOperationException
            or Org.BouncyCastle.Security.SecurityUtilityException)
        {
            return false;
        }
    }

    private static string? UnsupportedCriticalExtension(X509Extensions? extensions, params DerObjectIdentifier[] understood)
    {
        if (extensions is null)
        {
            return null;
        }

        return extensions.GetCriticalExtensionOids().FirstOrDefault(oid => !understood.Contains(oid))?.Id;
    }

    private static string StatusName(int status) => status switch
    {
        OcspRespStatus.MalformedRequest => "malformedRequest",
        OcspRespStatus.InternalError => "internalError",
        OcspRespStatus.TryLater => "tryLater",
        OcspRespStatus.SigRequired => "sigRequired",
        OcspRespStatus.Unauthorized => "unauthorized",
        _ => $"response status {status}",
    };

    private static string DescribeTransportFailure(Exception e, TimeSpan elapsed)
    {
        switch (e)
        {
            case TimeoutException timeout when timeout.Message.StartsWith("timed out", StringComparison.Ordinal):
                return OneLine(timeout.Message);
            case TimeoutException or OperationCanceledException:
                // A transport's own deadline (HttpClient.Timeout and the like) rather than the caller's.
                return $"timed out after {Math.Round(elapsed.TotalSeconds, 1).ToString(CultureInfo.InvariantCulture)} s";
            case HttpRequestException { StatusCode: { } code }:
                return $"responder answered HTTP {(int)code} ({code})";
            case HttpRequestException { HttpRequestError: HttpRequestError.ConfigurationLimitExceeded } tooLarge:
                return OneLine(tooLarge.Message);
            case HttpRequestException http when Innermost<SocketException>(http) is { } socket:
                return "unreachable: " + DescribeSocketError(socket);
            case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                return "unreachable: host not found";
            case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } connection:
                return "unreachable: " + OneLine(connection.Message);
            case HttpRequestException http:
                return $"HTTP request failed ({OneLine(http.Message)})";
            default:
                return $"request failed ({OneLine(e.Message)})";
        }
    }

    private static string DescribeSocketError(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found",
        SocketError.TimedOut => "connection timed out",
        SocketError.HostUnreachable => "host unreachable",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.ConnectionReset => "connection reset",
        _ => OneLine(socket.Message).ToLowerInvariant(),
    };

    private static T? Innermost<T>(Exception e)
        where T : Exception
    {
        T? found = null;
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                found = match;
            }
        }

        return found;
    }

    private static RevocationStatus Undetermined(string url, string detail) =>
        new(RevocationState.Undetermined, MethodName, $"{url}: {detail}");

    private static RevocationStatus Unauthorized(string url, string why) =>
        Undetermined(url, $"response signed by an unauthorized responder ({why})");

    private static string Name(X509Certificate certificate) => CertificateDescriber.FormatName(certificate.SubjectDN);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Utc(DateTime time) => new(time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    });

    private readonly record struct CacheKey(string IssuerKeyHash, BigInteger Serial, string Responder);

    /// <summary>A fetched response after all time-independent checks: either a failure or the matching SingleResponse.</summary>
    private sealed record Answer(RevocationStatus? Failure, SingleResp? Single, X509Certificate? Delegated, bool NonceEchoed)
    {
        public static Answer Failed(RevocationStatus failure) => new(failure, null, null, false);
    }
}
