using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.X509;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace PipelinePki.Sources.Acme;

/// <summary>How an order went: what a test or a log wants beyond the certificate itself.</summary>
public sealed record AcmeOrderOutcome(string OrderUrl, int ReusedAuthorizations, int ValidatedAuthorizations, string ChainIssuer, int ChainsOffered);

public sealed record AcmeRevokeResult(string Serial, string Subject, string Reason, string Endpoint);

/// <summary>RFC 9773 renewal timing, or the ⅔-of-lifetime fallback when the server has no renewalInfo.</summary>
public sealed record AcmeRenewalTiming(
    string Serial,
    DateTimeOffset NotAfter,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    bool Due,
    string Basis,
    string? ExplanationUrl,
    TimeSpan? RetryAfter);

/// <summary>
/// An ACME CA as a certificate source (RFC 8555): order, prove control (http-01 or dns-01), finalize
/// with a CSR from a key made here, download the chain. Also revocation, key rollover and ARI.
/// </summary>
public sealed class AcmeSource(AcmeSourceOptions options, HttpClient http, TimeProvider time, ILoggerFactory loggers) : ICertificateSource
{
    private readonly ILogger logger = loggers.CreateLogger<AcmeSource>();

    public string Name => "acme";

    public AcmeSourceOptions Options => options;

    public async Task<IssuedCertificate> IssueAsync(IssueRequest request, CancellationToken cancellationToken) =>
        (await IssueWithOutcomeAsync(request, cancellationToken)).Certificate;

    public async Task<(IssuedCertificate Certificate, AcmeOrderOutcome Outcome)> IssueWithOutcomeAsync(IssueRequest request, CancellationToken cancellationToken)
    {
        var identifiers = Identifiers(request);
        using var session = OpenSession();
        await session.OpenAccountAsync(create: true, cancellationToken);
        var directory = await session.Connection.DirectoryAsync(cancellationToken);

        options.Progress?.Report($"acme: ordering {string.Join(", ", identifiers.Select(i => i.Value))} from {options.DirectoryUrl}");
        var orderResponse = await session.PostAsync(
            directory.NewOrder,
            "newOrder",
            JsonSerializer.SerializeToUtf8Bytes(new NewOrderPayload(identifiers), AcmeJson.Default.NewOrderPayload),
            cancellationToken);
        var orderUrl = orderResponse.Location
            ?? throw new RemoteFailureException(directory.NewOrder, $"the ACME server sent no order URL (Location), {directory.NewOrder}; it does not follow RFC 8555 §7.4.");
        var order = AcmeJson.Parse(orderResponse.Body, AcmeJson.Default.AcmeOrder, "order", orderUrl);

        var (reused, validated) = await AuthorizeAsync(session, order, cancellationToken);
        order = await PollOrderAsync(session, orderUrl, ["ready", "valid"], "ready for finalization", cancellationToken);

        var generated = KeyGenerator.Generate(request.KeySpec);
        try
        {
            if (order.Status == "ready")
            {
                var csr = CertificationRequestBuilder.Build(generated, CsrCommonName(request, identifiers), identifiers.Select(ToName).ToList());
                var finalized = await session.PostAsync(
                    order.Finalize,
                    "finalize",
                    JsonSerializer.SerializeToUtf8Bytes(new FinalizePayload(Base64Url.Encode(csr)), AcmeJson.Default.FinalizePayload),
                    cancellationToken);
                order = AcmeJson.Parse(finalized.Body, AcmeJson.Default.AcmeOrder, "order", order.Finalize);
                if (order.Status != "valid")
                {
                    order = await PollOrderAsync(session, orderUrl, ["valid"], "issued", cancellationToken);
                }
            }

            var certificateUrl = order.Certificate
                ?? throw new RemoteFailureException(orderUrl, $"the order is valid but names no certificate URL, {orderUrl}; the server does not follow RFC 8555 §7.4.2.");
            var (chain, issuer, offered) = await DownloadChainAsync(session, certificateUrl, cancellationToken);
            var issued = Assemble(chain, generated, request, session.Store.InventoryPath);
            options.Progress?.Report($"acme: issued {issued.Record.Serial} (chain to {issuer}; {reused} authorization(s) reused, {validated} validated)");
            return (issued, new AcmeOrderOutcome(orderUrl, reused, validated, issuer, offered));
        }
        catch
        {
            generated.Dispose();
            throw;
        }
    }

    /// <summary><c>acme account</c>: show the stored account (checked with the server), or create it.</summary>
    public async Task<AcmeAccountInfo> AccountAsync(bool create, CancellationToken cancellationToken)
    {
        using var session = OpenSession();
        var opened = await session.OpenAccountAsync(create, cancellationToken);
        return opened.Created || opened.ExternalAccountBound ? opened : await session.FetchAccountAsync(cancellationToken);
    }

    public async Task<AcmeAccountInfo> RollOverKeyAsync(CancellationToken cancellationToken)
    {
        using var session = OpenSession();
        await session.OpenAccountAsync(create: false, cancellationToken);
        return await session.RollOverKeyAsync(cancellationToken);
    }

    /// <summary>RFC 8555 §7.6, signed by the account that ordered the certificate.</summary>
    public async Task<AcmeRevokeResult> RevokeAsync(string certificatePath, string reason, CancellationToken cancellationToken)
    {
        var certificate = PkiObjectReader.ReadCertificates(certificatePath).FirstOrDefault()
            ?? throw new BadInputException($"--cert: {certificatePath} holds no certificate; give the cert.pem that 'cert issue --source acme' wrote.");
        var code = RevocationReasons.Parse(reason);
        using var session = OpenSession();
        await session.OpenAccountAsync(create: false, cancellationToken);
        var directory = await session.Connection.DirectoryAsync(cancellationToken);
        var endpoint = directory.RevokeCert
            ?? throw new RemoteFailureException(options.DirectoryUrl.ToString(), $"the ACME server offers no revokeCert, {options.DirectoryUrl}; revoke through the CA's own interface.");
        await session.PostAsync(
            endpoint,
            "revokeCert",
            JsonSerializer.SerializeToUtf8Bytes(new RevokePayload(Base64Url.Encode(certificate.GetEncoded()), code == 0 ? null : code), AcmeJson.Default.RevokePayload),
            cancellationToken);
        var info = CertificateDescriber.Describe(certificate);
        using (var inventory = InventoryStore.Open(session.Store.InventoryPath))
        {
            if (inventory.Find(info.Serial) is not null)
            {
                inventory.Revoke(info.Serial, RevocationReasons.Name(code), time.GetUtcNow());
            }
        }

        return new AcmeRevokeResult(info.Serial, info.Subject, RevocationReasons.Name(code), endpoint);
    }

    /// <summary>RFC 9773: GET renewalInfo/&lt;AKI keyIdentifier&gt;.&lt;serial&gt;; without ARI, renew after ⅔ of the lifetime.</summary>
    public async Task<AcmeRenewalTiming> RenewalInfoAsync(string certificatePath, CancellationToken cancellationToken)
    {
        var certificate = PkiObjectReader.ReadCertificates(certificatePath).FirstOrDefault()
            ?? throw new BadInputException($"--cert: {certificatePath} holds no certificate; give the cert.pem to check.");
        var info = CertificateDescriber.Describe(certificate);
        var now = time.GetUtcNow();
        var connection = new AcmeConnection(http, options, time, logger);
        var directory = await connection.DirectoryAsync(cancellationToken);
        if (directory.RenewalInfo is { } baseUrl && CertificateId(certificate) is { } id)
        {
            var url = baseUrl.TrimEnd('/') + "/" + id;
            var response = await connection.GetAsync(url, "renewalInfo", cancellationToken);
            if (response.Status == System.Net.HttpStatusCode.OK)
            {
                var renewal = AcmeJson.Parse(response.Body, AcmeJson.Default.AcmeRenewalInfo, "renewalInfo", url);
                var window = renewal.SuggestedWindow;
                if (window.End < window.Start)
                {
                    throw new RemoteFailureException(url, $"the ACME server's renewal window ends before it starts, {url}; ask the CA.");
                }

                return new AcmeRenewalTiming(info.Serial, info.NotAfter, window.Start, window.End, now >= window.Start, "ari", renewal.ExplanationUrl, response.RetryAfter);
            }

            logger.LogWarning("renewalInfo answered HTTP {Status} for {Url}; using the two-thirds-of-lifetime rule", (int)response.Status, url);
        }

        var lifetime = info.NotAfter - info.NotBefore;
        var start = info.NotBefore + (lifetime * 2 / 3);
        var end = info.NotAfter - (lifetime / 9);
        return new AcmeRenewalTiming(info.Serial, info.NotAfter, start, end < start ? start : end, now >= start, "lifetime-2/3", null, null);
    }

    /// <summary>RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial DER content octets).</summary>
    internal static string? CertificateId(BcCertificate certificate)
    {
        var aki = certificate.GetExtensionValue(X509Extensions.AuthorityKeyIdentifier);
        if (aki is null)
        {
            return null;
        }

        var keyId = AuthorityKeyIdentifier.GetInstance(aki.GetOctets()).KeyIdentifier?.GetOctets();
        if (keyId is null)
        {
            return null;
        }

        var serial = certificate.CertificateStructure.SerialNumber.Value.ToByteArray();
        return Base64Url.Encode(keyId) + "." + Base64Url.Encode(serial);
    }

    private AcmeSession OpenSession()
    {
        options.Validate();
        return new AcmeSession(new AcmeConnection(http, options, time, logger), options, logger);
    }

    private static List<AcmeIdentifier> Identifiers(IssueRequest request)
    {
        if (request.CertificationRequest is not null)
        {
            throw new UsageException("--csr is not supported with --source acme yet: the key is generated here; drop --csr.");
        }

        var identifiers = new List<AcmeIdentifier>();
        foreach (var name in request.SubjectAlternativeNames)
        {
            identifiers.Add(name.Type switch
            {
                SanType.Dns => new AcmeIdentifier("dns", name.Value),
                SanType.Ip => new AcmeIdentifier("ip", name.Value),
                _ => throw new UsageException($"--san {name.Type.ToString().ToLowerInvariant()}:{name.Value}: an ACME CA certifies only dns: and ip: names; drop it or use another --source."),
            });
        }

        if (SubjectAlternativeName.IsDnsName(request.CommonName) && !identifiers.Any(i => i.Type == "dns" && i.Value == request.CommonName.ToLowerInvariant()))
        {
            identifiers.Insert(0, new AcmeIdentifier("dns", request.CommonName.ToLowerInvariant()));
        }

        if (identifiers.Count == 0)
        {
            throw new UsageException($"--name '{request.CommonName}' is not a DNS name and no --san dns:/ip: was given; an ACME CA needs at least one name to validate.");
        }

        return identifiers;
    }

    private static string? CsrCommonName(IssueRequest request, List<AcmeIdentifier> identifiers)
    {
        // A CA puts only validated names in the CN; a CN that is not one of them would make the CSR refused.
        var name = request.CommonName.ToLowerInvariant();
        return identifiers.Any(i => i.Value == name) ? name : null;
    }

    private static SubjectAlternativeName ToName(AcmeIdentifier identifier) =>
        identifier.Type == "ip" ? SubjectAlternativeName.Ip(identifier.Value) : SubjectAlternativeName.Dns(identifier.Value);

    /// <summary>Each authorization: valid ones are reused; pending ones get their challenge answered, then all are polled.</summary>
    private async Task<(int Reused, int Validated)> AuthorizeAsync(AcmeSession session, AcmeOrder order, CancellationToken cancellationToken)
    {
        var pending = new List<(string Url, AcmeAuthorization Authorization, AcmeChallenge Challenge)>();
        var reused = 0;
        foreach (var url in order.Authorizations)
        {
            var response = await session.PostAsync(url, "authorization", null, cancellationToken);
            var authorization = AcmeJson.Parse(response.Body, AcmeJson.Default.AcmeAuthorization, "authorization", url);
            switch (authorization.Status)
            {
                case "valid":
                    reused++;
                    options.Progress?.Report($"acme: {authorization.Identifier.Value}: authorization already valid, reused");
                    continue;
                case "pending":
                    break;
                default:
                    throw new RemoteFailureException(url, $"the authorization for {authorization.Identifier.Value} is {authorization.Status}, {url}; start a new order (rerun).");
            }

            var type = options.Challenge == AcmeChallengeKind.Dns01 ? "dns-01" : "http-01";
            var challenge = authorization.Challenges.FirstOrDefault(c => c.Type == type)
                ?? throw new PolicyViolationException("acme-challenge", $"the ACME server offers no {type} challenge for {authorization.Identifier.Value} (offers {string.Join(", ", authorization.Challenges.Select(c => c.Type))}), {url}; " +
                    (type == "http-01" ? "use --dns-hook for dns-01." : "drop --dns-hook to use http-01."));
            pending.Add((url, authorization, challenge));
        }

        if (pending.Count == 0)
        {
            return (reused, 0);
        }

        Http01Responder? responder = null;
        var hook = options.DnsHook is { } command ? new DnsHook(command, logger) : null;
        var published = new List<(string Domain, string Record, string Value)>();
        try
        {
            if (hook is null)
            {
                responder = Http01Responder.Start(options.HttpBindAddress, options.HttpPort, logger);
            }

            foreach (var (_, authorization, challenge) in pending)
            {
                var token = challenge.Token ?? throw new RemoteFailureException(challenge.Url, $"the {challenge.Type} challenge has no token, {challenge.Url}; the server does not follow RFC 8555 §8.");
                var keyAuthorization = session.Key.KeyAuthorization(token);
                if (hook is not null)
                {
                    var domain = authorization.Identifier.Value;
                    var record = DnsHook.RecordName(domain);
                    var value = DnsHook.RecordValue(keyAuthorization);
                    options.Progress?.Report($"acme: {domain}: publishing TXT {record} through the DNS hook");
                    await hook.RunAsync("add", domain, record, value, cancellationToken);
                    published.Add((domain, record, value));
                }
                else
                {
                    responder!.Serve(token, keyAuthorization);
                }
            }

            foreach (var (_, authorization, challenge) in pending)
            {
                // RFC 8555 §7.5.1: an empty object tells the server to validate.
                options.Progress?.Report($"acme: {authorization.Identifier.Value}: asking the CA to validate {challenge.Type}");
                await session.PostAsync(challenge.Url, "challenge", "{}"u8.ToArray(), cancellationToken);
            }

            foreach (var (url, authorization, _) in pending)
            {
                await PollAuthorizationAsync(session, url, authorization.Identifier.Value, cancellationToken);
            }
        }
        finally
        {
            if (responder is not null)
            {
                await responder.DisposeAsync();
            }

            foreach (var (domain, record, value) in published)
            {
                try
                {
                    await hook!.RunAsync("remove", domain, record, value, CancellationToken.None);
                }
                catch (BadInputException e)
                {
                    logger.LogWarning("DNS hook could not remove {Record}: {Message}", record, e.Message);
                }
            }
        }

        return (reused, pending.Count);
    }

    private async Task PollAuthorizationAsync(AcmeSession session, string url, string identifier, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await session.PostAsync(url, "authorization", null, cancellationToken);
            var authorization = AcmeJson.Parse(response.Body, AcmeJson.Default.AcmeAuthorization, "authorization", url);
            switch (authorization.Status)
            {
                case "valid":
                    return;
                case "pending" or "processing":
                    break;
                default:
                    var problem = authorization.Challenges.Select(c => c.Error).FirstOrDefault(e => e is not null);
                    if (problem is not null)
                    {
                        throw AcmeProblems.ToException(problem, $"validation of {identifier}", url, problem.Status ?? 403);
                    }

                    throw new RemoteFailureException(url, $"the authorization for {identifier} became {authorization.Status}, {url}; check that the CA can reach the challenge.");
            }

            await WaitAsync(session.Connection, response, attempt, $"validation of {identifier}", url, cancellationToken);
        }
    }

    private async Task<AcmeOrder> PollOrderAsync(AcmeSession session, string orderUrl, string[] wanted, string goal, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await session.PostAsync(orderUrl, "order", null, cancellationToken);
            var order = AcmeJson.Parse(response.Body, AcmeJson.Default.AcmeOrder, "order", orderUrl);
            if (wanted.Contains(order.Status))
            {
                return order;
            }

            if (order.Status == "invalid")
            {
                if (order.Error is { } problem)
                {
                    throw AcmeProblems.ToException(problem, "the order", orderUrl, problem.Status ?? 403);
                }

                throw new RemoteFailureException(orderUrl, $"the order became invalid before it was {goal}, {orderUrl}; rerun with --verbose.");
            }

            await WaitAsync(session.Connection, response, attempt, $"order {goal}", orderUrl, cancellationToken);
        }
    }

    /// <summary>Retry-After when the server gives one (RFC 8555 §7.5.1), else 200 ms growing to 2 s; never past the deadline.</summary>
    private static async Task WaitAsync(AcmeConnection connection, AcmeResponse response, int attempt, string what, string url, CancellationToken cancellationToken)
    {
        var wait = response.RetryAfter is { } after && after > TimeSpan.Zero
            ? after
            : TimeSpan.FromMilliseconds(Math.Min(200 * Math.Pow(1.5, attempt), 2000));
        if (!await connection.BackOffAsync(wait, cancellationToken))
        {
            throw new RemoteFailureException(url, $"timed out waiting for {what} (--acme-timeout), {url}; retry later or raise --acme-timeout.");
        }
    }

    /// <summary>The default chain, plus alternates (RFC 8555 §7.4.2 Link rel="alternate") when a preferred issuer is asked for.</summary>
    private async Task<(List<BcCertificate> Chain, string Issuer, int Offered)> DownloadChainAsync(AcmeSession session, string url, CancellationToken cancellationToken)
    {
        var response = await session.PostAsync(url, "certificate", null, cancellationToken, accept: "application/pem-certificate-chain");
        var chain = ParseChain(response.Body, url);
        var alternates = response.Links.Where(l => l.Rel == "alternate").Select(l => l.Url).ToList();
        var offered = 1 + alternates.Count;
        if (options.PreferredChain is not { } preferred || Matches(chain, preferred))
        {
            return (chain, TopIssuer(chain), offered);
        }

        foreach (var alternate in alternates)
        {
            var candidate = ParseChain((await session.PostAsync(alternate, "certificate", null, cancellationToken, accept: "application/pem-certificate-chain")).Body, alternate);
            if (Matches(candidate, preferred))
            {
                return (candidate, TopIssuer(candidate), offered);
            }
        }

        options.Progress?.Report($"acme: no chain issued by '{preferred}' among {offered}; using the default chain (to {TopIssuer(chain)})");
        return (chain, TopIssuer(chain), offered);
    }

    private static bool Matches(List<BcCertificate> chain, string issuerCommonName) =>
        chain.Any(c => CommonName(c.IssuerDN) == issuerCommonName || CommonName(c.SubjectDN) == issuerCommonName);

    private static string TopIssuer(List<BcCertificate> chain) => CommonName(chain[^1].IssuerDN) ?? chain[^1].IssuerDN.ToString();

    private static string? CommonName(X509Name name) => name.GetValueList(X509Name.CN).FirstOrDefault();

    private static List<BcCertificate> ParseChain(byte[] body, string url)
    {
        try
        {
            var chain = PkiObjectReader.ReadCertificates(body, url).ToList();
            if (chain.Count > 0)
            {
                return chain;
            }
        }
        catch (BadInputException)
        {
        }

        throw new RemoteFailureException(url, $"the ACME server's certificate download is not a PEM chain, {url}; the server does not follow RFC 8555 §9.1.");
    }

    private IssuedCertificate Assemble(List<BcCertificate> chain, IExportableKey key, IssueRequest request, string inventoryPath)
    {
        var leaf = chain[0];
        var leafInfo = CertificateDescriber.Describe(leaf);
        if (!leaf.GetPublicKey().Equals(Org.BouncyCastle.Security.PublicKeyFactory.CreateKey(key.SubjectPublicKeyInfo)))
        {
            throw new RemoteFailureException(options.DirectoryUrl.ToString(), $"the ACME server returned a certificate for another key (serial {leafInfo.Serial}), {options.DirectoryUrl}; do not use this CA.");
        }

        var intermediates = chain.Skip(1).ToList();
        BcCertificate? root = null;
        if (intermediates.Count > 0 && intermediates[^1].SubjectDN.Equivalent(intermediates[^1].IssuerDN))
        {
            root = intermediates[^1];
            intermediates.RemoveAt(intermediates.Count - 1);
        }

        var ekus = leafInfo.ExtendedKeyUsage;
        var profile = ekus.Contains("serverAuth") && ekus.Contains("clientAuth") ? "mtls" : ekus.Contains("serverAuth") ? "server" : "acme";
        var record = InventoryRecord.NewlyIssued(
            leafInfo, leafInfo.AuthorityKeyIdentifier ?? string.Empty, profile, request.KeySpec.Name, Name, request.Requester, time.GetUtcNow());
        using (var inventory = InventoryStore.Open(inventoryPath))
        {
            inventory.TryAdd(record);
        }

        return new IssuedCertificate(
            X509CertificateLoader.LoadCertificate(leaf.GetEncoded()),
            intermediates.Select(c => X509CertificateLoader.LoadCertificate(c.GetEncoded())).ToList(),
            root is null ? null : X509CertificateLoader.LoadCertificate(root.GetEncoded()),
            key,
            record);
    }
}
