using System.Net.Sockets;

using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Core.Mtls;

/// <summary>The certificate and key the probe presents when the server asks for one.</summary>
public sealed record ClientIdentity(IReadOnlyList<BcCertificate> Chain, AsymmetricKeyParameter PrivateKey);

public sealed record ProbeRequest(
    Uri Endpoint,
    IReadOnlyList<BcCertificate> TrustAnchors,
    IReadOnlyList<BcCertificate> Untrusted,
    TimeSpan MinRemaining,
    RevocationMode Revocation,
    bool SoftFail,
    TimeSpan Timeout,
    ClientIdentity? Client = null,
    IReadOnlyList<(byte[] Der, string Source)>? Crls = null);

/// <summary>The stapled OCSP response, if the server sent one, and what it says about the server's certificate.</summary>
public sealed record StapleReport(bool Present, string? Status, string? Detail);

/// <summary>The client-certificate side of the handshake.</summary>
public sealed record ClientAuthReport(bool Requested, IReadOnlyList<string> AcceptableIssuers, bool Sent, bool? Accepted, string? Evidence);

public sealed record ProbeResult(
    string Endpoint,
    string Protocol,
    string CipherSuite,
    string? ApplicationProtocol,
    VerificationOutcome ServerChain,
    double DaysLeft,
    StapleReport Staple,
    ClientAuthReport ClientAuth,
    IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// <c>mtls probe</c>: the <c>openssl s_client</c> / sslscan step pipelines run by hand, built in.
/// BouncyCastle's TLS client is used rather than SslStream because it exposes what a pipeline
/// needs to see: the stapled OCSP response, whether the server asked for a client certificate (and
/// from which CAs), and the negotiated parameters, for TLS 1.2 and 1.3. The server chain is judged
/// by our own verifier, never by the TLS stack.
/// </summary>
public sealed class TlsProbe(CertificateVerifier verifier, TimeProvider time)
{
    public async Task<ProbeResult> ProbeAsync(ProbeRequest request, CancellationToken cancellationToken)
    {
        var endpoint = request.Endpoint;
        var port = endpoint.IsDefaultPort ? 443 : endpoint.Port;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(request.Timeout);
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(endpoint.IdnHost, port, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RemoteFailureException(endpoint.ToString(), $"{endpoint}: no connection within {request.Timeout.TotalSeconds:0.#} s.");
        }
        catch (SocketException e)
        {
            throw new RemoteFailureException(endpoint.ToString(), $"{endpoint}: cannot connect ({e.SocketErrorCode}); check the host and port.", e);
        }

        tcp.ReceiveTimeout = tcp.SendTimeout = (int)request.Timeout.TotalMilliseconds;
        var client = new ProbeClient(new BcTlsCrypto(new SecureRandom()), endpoint.IdnHost, request.Client);
        var protocol = new TlsClientProtocol(tcp.GetStream());
        string? httpStatus = null;
        string? handshakeFailure = null;
        try
        {
            // BouncyCastle's TLS is blocking; a worker thread keeps the caller's thread free and the socket timeouts bound it.
            await Task.Run(() => protocol.Connect(client), deadline.Token);
            httpStatus = await Task.Run(() => ReadHttpStatus(protocol, endpoint), deadline.Token);
        }
        catch (TlsFatalAlertReceived alert) when (client.HandshakeCompleted || client.ClientCertificateSent)
        {
            // The server refused us after seeing our certificate (TLS 1.3 reports that after the handshake).
            handshakeFailure = $"server sent alert {AlertDescription.GetText(alert.AlertDescription)}";
        }
        catch (Exception e) when (e is TlsException or IOException or SocketException)
        {
            if (client.ServerCertificates.Count == 0)
            {
                throw new RemoteFailureException(endpoint.ToString(), $"{endpoint}: TLS handshake failed ({e.Message}).", e);
            }

            handshakeFailure = e is TlsFatalAlertReceived received ? $"server sent alert {AlertDescription.GetText(received.AlertDescription)}" : e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            handshakeFailure = $"no answer within {request.Timeout.TotalSeconds:0.#} s";
        }
        finally
        {
            try
            {
                protocol.Close();
            }
            catch (IOException)
            {
            }
        }

        var presented = client.ServerCertificates;
        var leaf = presented[0];
        var names = System.Net.IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out _)
            ? new NameExpectations(IpAddress: endpoint.Host.Trim('[', ']'))
            : new NameExpectations(Host: endpoint.IdnHost);
        var outcome = await verifier.VerifyAsync(
            new VerifyRequest(leaf, request.TrustAnchors, [.. presented.Skip(1), .. request.Untrusted], [], null, CertificatePurpose.Server, names, request.Revocation, request.SoftFail, null, request.Crls),
            cancellationToken);
        var problems = outcome.Failures.Select(f => $"server chain: {f.Check}: {f.Detail}").ToList();

        var now = time.GetUtcNow();
        var daysLeft = (new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero) - now).TotalDays;
        if (TimeSpan.FromDays(daysLeft) < request.MinRemaining)
        {
            problems.Add($"server certificate expires in {daysLeft:0.0} days (minimum {Durations.Format(request.MinRemaining)})");
        }

        var stapled = client.StapledResponse;
        var stapleNote = (string?)null;
        if (stapled is null && client.NegotiatedVersion == "TLS 1.3")
        {
            // BouncyCastle's TLS 1.3 client does not surface the OCSP staple (it travels in the
            // encrypted Certificate message there); a second, TLS 1.2-only handshake reads it.
            stapled = await StapleOverTls12Async(endpoint, port, request.Timeout, cancellationToken);
            stapleNote = stapled is null ? null : " (read over TLS 1.2)";
        }

        var staple = await CheckStapleAsync(stapled, leaf, presented, request, outcome, cancellationToken);
        if (stapleNote is not null)
        {
            staple = staple with { Detail = staple.Detail + stapleNote };
        }

        if (staple.Status == "revoked")
        {
            problems.Add($"stapled OCSP response: {staple.Detail}");
        }

        bool? accepted = null;
        string? evidence = null;
        if (request.Client is not null && client.ClientCertificateRequested)
        {
            accepted = handshakeFailure is null && httpStatus is not null && !httpStatus.Contains(" 400 ", StringComparison.Ordinal) && !httpStatus.Contains(" 495 ", StringComparison.Ordinal) && !httpStatus.Contains(" 496 ", StringComparison.Ordinal);
            evidence = handshakeFailure ?? httpStatus;
            if (accepted == false)
            {
                problems.Add($"the server did not accept our client certificate ({evidence})");
            }
        }
        else if (handshakeFailure is not null)
        {
            problems.Add($"handshake: {handshakeFailure}");
        }
        else if (request.Client is not null)
        {
            evidence = "the server did not ask for a client certificate";
        }

        return new ProbeResult(
            endpoint.ToString(),
            client.NegotiatedVersion ?? "unknown",
            client.NegotiatedCipherSuite ?? "unknown",
            client.NegotiatedApplicationProtocol,
            outcome,
            Math.Round(daysLeft, 2),
            staple,
            new ClientAuthReport(client.ClientCertificateRequested, client.AcceptableIssuers, client.ClientCertificateSent, accepted, evidence ?? httpStatus),
            problems);
    }

    private static async Task<byte[]?> StapleOverTls12Async(Uri endpoint, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(endpoint.IdnHost, port, deadline.Token);
            tcp.ReceiveTimeout = tcp.SendTimeout = (int)timeout.TotalMilliseconds;
            var client = new ProbeClient(new BcTlsCrypto(new SecureRandom()), endpoint.IdnHost, null, tls12Only: true);
            var protocol = new TlsClientProtocol(tcp.GetStream());
            await Task.Run(() => protocol.Connect(client), deadline.Token);
            protocol.Close();
            return client.StapledResponse;
        }
        catch (Exception e) when (e is TlsException or IOException or SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // A TLS 1.3-only server: no staple we can read; reported as "none".
            return null;
        }
    }

    private async Task<StapleReport> CheckStapleAsync(
        byte[]? stapled, BcCertificate leaf, IReadOnlyList<BcCertificate> presented, ProbeRequest request, VerificationOutcome outcome, CancellationToken cancellationToken)
    {
        if (stapled is null)
        {
            return new StapleReport(false, null, "no OCSP response stapled");
        }

        // The issuer is the path's second certificate; the staple is judged by the same OCSP rules as a fetched response.
        var issuer = outcome.Path.Count > 1
            ? presented.Concat(request.Untrusted).Concat(request.TrustAnchors).FirstOrDefault(c => CertificateDescriber.Describe(c).Sha256Fingerprint == outcome.Path[1].Sha256Fingerprint)
            : null;
        if (issuer is null)
        {
            return new StapleReport(true, "unverified", "stapled, but the server's issuer is unknown, so the response cannot be checked");
        }

        var checker = new Validation.Ocsp.OcspChecker(new StapledTransport(stapled), time);
        var status = await checker.CheckAsync(leaf, issuer, new Uri("stapled:ocsp"), time.GetUtcNow(), cancellationToken);
        return new StapleReport(true, status.State.ToString().ToLowerInvariant(), status.Detail);
    }

    private static string ReadHttpStatus(TlsClientProtocol protocol, Uri endpoint)
    {
        var stream = protocol.Stream;
        var request = System.Text.Encoding.ASCII.GetBytes($"GET {endpoint.PathAndQuery} HTTP/1.1\r\nHost: {endpoint.Authority}\r\nUser-Agent: pipeline-pki-probe\r\nConnection: close\r\n\r\n");
        stream.Write(request, 0, request.Length);
        stream.Flush();
        var buffer = new byte[512];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n <= 0)
            {
                break;
            }

            read += n;
            if (Array.IndexOf(buffer, (byte)'\n', 0, read) >= 0)
            {
                break;
            }
        }

        var text = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
        var line = text.Split('\n')[0].Trim();
        return line.Length == 0 ? "no HTTP response" : line;
    }

    /// <summary>Hands the stapled response to the OCSP checker as if a responder had sent it.</summary>
    private sealed class StapledTransport(byte[] response) : IOcspTransport
    {
        public Task<byte[]> SendAsync(Uri responder, byte[] request, CancellationToken cancellationToken) => Task.FromResult(response);
    }

    private sealed class ProbeClient(BcTlsCrypto crypto, string host, ClientIdentity? identity, bool tls12Only = false) : DefaultTlsClient(crypto)
    {
        public List<BcCertificate> ServerCertificates { get; } = [];

        public byte[]? StapledResponse { get; private set; }

        public bool ClientCertificateRequested { get; private set; }

        public List<string> AcceptableIssuers { get; } = [];

        public bool ClientCertificateSent { get; private set; }

        public bool HandshakeCompleted { get; private set; }

        public string? NegotiatedVersion { get; private set; }

        public string? NegotiatedCipherSuite { get; private set; }

        public string? NegotiatedApplicationProtocol { get; private set; }

        public BcTlsCrypto TlsCrypto => crypto;

        public TlsContext TlsContext => m_context;

        public override void NotifyHandshakeComplete()
        {
            base.NotifyHandshakeComplete();
            HandshakeCompleted = true;
            var parameters = m_context.SecurityParameters;
            NegotiatedVersion = parameters.NegotiatedVersion?.ToString();
            NegotiatedCipherSuite = CipherSuiteName(parameters.CipherSuite);
            NegotiatedApplicationProtocol = parameters.ApplicationProtocol?.GetUtf8Decoding();
        }

        public override TlsAuthentication GetAuthentication() => new Authentication(this, identity);

        protected override ProtocolVersion[] GetSupportedVersions() => tls12Only ? [ProtocolVersion.TLSv12] : ProtocolVersion.TLSv13.DownTo(ProtocolVersion.TLSv12);

        protected override IList<ProtocolName> GetProtocolNames() => [ProtocolName.Http_1_1];

        protected override CertificateStatusRequest GetCertificateStatusRequest() =>
            new(CertificateStatusType.ocsp, new OcspStatusRequest(null, null));

        // No SNI for IP literals (RFC 6066 §3): null leaves the extension out; an empty list would be malformed.
        protected override IList<ServerName>? GetSniServerNames() =>
            System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _) ? null : [new ServerName(NameType.host_name, System.Text.Encoding.ASCII.GetBytes(host))];

        internal void Record(TlsServerCertificate certificate)
        {
            for (var i = 0; i < certificate.Certificate.Length; i++)
            {
                ServerCertificates.Add(PkiObjectReader.ParseCertificate(certificate.Certificate.GetCertificateAt(i).GetEncoded(), host));
            }

            if (certificate.CertificateStatus?.OcspResponse is { } ocsp)
            {
                StapledResponse = ocsp.GetEncoded();
            }
        }

        internal TlsCredentials? Credentials(CertificateRequest request)
        {
            ClientCertificateRequested = true;
            foreach (var authority in request.CertificateAuthorities ?? [])
            {
                AcceptableIssuers.Add(CertificateDescriber.FormatName(Org.BouncyCastle.Asn1.X509.X509Name.GetInstance(authority.ToAsn1Object())));
            }

            if (identity is null)
            {
                return null;
            }

            var algorithm = SignatureAlgorithmFor(identity.PrivateKey, request.SupportedSignatureAlgorithms);
            if (algorithm is null)
            {
                return null;
            }

            var chain = identity.Chain.Select(c => (TlsCertificate)new BcTlsCertificate(crypto, c.GetEncoded())).ToArray();
            var certificate = TlsUtilities.IsTlsV13(m_context)
                ? new Certificate(TlsUtilities.EmptyBytes, chain.Select(c => new CertificateEntry(c, null)).ToArray())
                : new Certificate(chain);
            ClientCertificateSent = true;
            return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), crypto, identity.PrivateKey, certificate, algorithm);
        }

        private static SignatureAndHashAlgorithm? SignatureAlgorithmFor(AsymmetricKeyParameter key, IList<SignatureAndHashAlgorithm>? offered)
        {
            IEnumerable<SignatureAndHashAlgorithm> candidates = key switch
            {
                Org.BouncyCastle.Crypto.Parameters.ECPrivateKeyParameters ec => ec.Parameters.Curve.FieldSize switch
                {
                    384 => [SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa)],
                    521 => [SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha512, SignatureAlgorithm.ecdsa)],
                    _ => [SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa)],
                },
                Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters =>
                [
                    SignatureAndHashAlgorithm.rsa_pss_rsae_sha256, SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
                ],
                Org.BouncyCastle.Crypto.Parameters.Ed25519PrivateKeyParameters => [SignatureAndHashAlgorithm.ed25519],
                _ => [],
            };
            return offered is null ? candidates.FirstOrDefault() : candidates.FirstOrDefault(c => offered.Contains(c));
        }

        private static string CipherSuiteName(int suite)
        {
            foreach (var field in typeof(CipherSuite).GetFields())
            {
                if (field.IsLiteral && field.GetRawConstantValue() is int value && value == suite)
                {
                    return field.Name;
                }
            }

            return $"0x{suite:X4}";
        }

        private sealed class Authentication(ProbeClient client, ClientIdentity? identity) : TlsAuthentication
        {
            public void NotifyServerCertificate(TlsServerCertificate serverCertificate) => client.Record(serverCertificate);

            public TlsCredentials? GetClientCredentials(CertificateRequest certificateRequest) => client.Credentials(certificateRequest);

            public ClientIdentity? Identity => identity;
        }
    }
}
