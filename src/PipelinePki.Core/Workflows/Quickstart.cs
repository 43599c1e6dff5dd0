using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Mtls;
using PipelinePki.Core.Signing;
using PipelinePki.Core.Signing.Timestamping;

namespace PipelinePki.Core.Workflows;

public sealed record QuickstartRequest(string Directory, Requester Requester);

public sealed record QuickstartResult(
    string CaHome,
    bool CaCreated,
    CertificateInfo Root,
    CertificateInfo Intermediate,
    IssuedFiles Files,
    CertificateInfo Certificate,
    IReadOnlyList<string> VerifyCommands,
    QuickstartSigning Signing,
    MtlsRoundTripResult Mtls);

/// <summary>The demo artifact signed with an in-memory key, and the commands that check its signatures.</summary>
public sealed record QuickstartSigning(
    string Artifact,
    string Signature,
    string Bundle,
    string SignerSerial,
    IReadOnlyList<string> SignerNames,
    DateTimeOffset SignerNotAfter,
    DateTimeOffset? TimestampTime,
    string Crls,
    IReadOnlyList<string> VerifyCommands);

/// <summary>
/// The main job on the embedded default, end to end: a local two-tier CA (reused when the folder
/// already has one) and a 24 h mutual-TLS certificate for a build agent, with the commands an
/// independent tool (OpenSSL) uses to check it; then a demo artifact signed with an ephemeral
/// (in-memory, 15 minute) key and timestamped by the CA, and a real mutual-TLS round trip on loopback
/// with the issued certificate on both ends.
/// </summary>
public sealed class Quickstart(TimeProvider time, ILoggerFactory loggers)
{
    public const string AgentName = "build-agent";
    public const string AgentIdentity = "spiffe://pipeline-pki.local/quickstart/build-agent";
    public const string AgentHost = "build-agent.pipeline-pki.local";
    public const string SignerIdentity = "spiffe://pipeline-pki.local/quickstart/signer";
    public const string DemoArtifact = "demo-artifact.txt";

    public async Task<QuickstartResult> RunAsync(QuickstartRequest request, CancellationToken cancellationToken)
    {
        var caHome = Path.GetFullPath(Path.Combine(request.Directory, "ca"));
        var created = false;
        if (!LocalCaHome.Exists(caHome))
        {
            var initializer = new LocalCaInitializer(time, loggers.CreateLogger<LocalCaInitializer>());
            await initializer.InitializeAsync(
                new CaInitRequest(
                    caHome,
                    "PipelinePki Quickstart",
                    KeySpec.Default,
                    KeySpec.Default,
                    TimeSpan.FromDays(365 * 10),
                    TimeSpan.FromDays(365),
                    EncryptKeys: false,
                    request.Requester),
                static () => null,
                cancellationToken);
            created = true;
        }

        var authority = new LocalAuthority(LocalCaHome.Open(caHome), static () => null, time, loggers.CreateLogger<LocalAuthority>());
        using var issued = await authority.IssueAsync(
            new IssueRequest(
                AgentName,
                [SubjectAlternativeName.Uri(AgentIdentity), SubjectAlternativeName.Dns(AgentHost)],
                CertificateProfile.Mtls,
                TimeSpan.FromHours(24),
                KeySpec.Default,
                request.Requester),
            cancellationToken);
        var files = IssuedCertificateWriter.Write(Path.Combine(request.Directory, AgentName), issued);
        var status = authority.GetStatus();
        string[] verify =
        [
            $"openssl verify -x509_strict -purpose sslclient -CAfile {files.Root} -untrusted {files.Chain} {files.Certificate}",
            $"openssl verify -x509_strict -purpose sslserver -CAfile {files.Root} -untrusted {files.Chain} {files.Certificate}",
        ];
        var signing = await SignDemoAsync(authority, request, files, cancellationToken);
        var mtls = await RoundTripAsync(issued, cancellationToken);
        return new QuickstartResult(
            caHome,
            created,
            status.Root,
            status.Intermediate,
            files,
            CertificateDescriber.Describe(PkiObjectReader.ParseCertificate(issued.Certificate.RawData, files.Certificate)),
            verify,
            signing,
            mtls);
    }

    /// <summary>Signs a demo artifact the keyless way: a fresh key in memory, a 15 minute code-signing certificate, a timestamp.</summary>
    private async Task<QuickstartSigning> SignDemoAsync(LocalAuthority authority, QuickstartRequest request, IssuedFiles files, CancellationToken cancellationToken)
    {
        var artifact = Path.GetFullPath(Path.Combine(request.Directory, DemoArtifact));
        IO.AtomicFile.WriteText(artifact, $"PipelinePki quickstart demo artifact, built {time.GetUtcNow():u}\n", secret: false);
        using var signer = await new EphemeralSigner(authority).CreateAsync(
            new EphemeralSignerRequest("quickstart signer", [SubjectAlternativeName.Uri(SignerIdentity)], EphemeralSignerRequest.DefaultLifetime, KeySpec.Default, request.Requester),
            cancellationToken);
        var signed = (await new ArtifactSigner(time).SignAsync(
            new SignArtifactsRequest([artifact], signer.Key, signer.Certificate, signer.Chain, new LocalTimestampSource(authority.OpenTimestampAuthority()), null, Cms: true, Bundle: true),
            null,
            cancellationToken))[0];

        // Both CRLs (intermediate and root), so the verify lines check revocation offline.
        var crls = Path.GetFullPath(Path.Combine(request.Directory, "crls.pem"));
        var intermediateCrl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Intermediate, TimeSpan.FromDays(7)), cancellationToken);
        var rootCrl = await authority.PublishCrlAsync(new CrlRequest(CrlIssuer.Root, TimeSpan.FromDays(7)), cancellationToken);
        IO.AtomicFile.WriteText(crls, Encoding.Pem.Encode("X509 CRL", intermediateCrl.Der) + Encoding.Pem.Encode("X509 CRL", rootCrl.Der), secret: false);
        var identity = $"'{System.Text.RegularExpressions.Regex.Escape(SignerIdentity)}'";
        string[] verify =
        [
            $"openssl cms -verify -binary -inform DER -in {signed.Signature} -content {artifact} -CAfile {files.Root} -purpose any -out /dev/null",
            $"pipeline-pki verify {artifact} --trust {files.Root} --crl {crls} --identity {identity}",
            $"pipeline-pki verify {artifact} --signature {signed.Bundle} --trust {files.Root} --untrusted {files.Chain} --crl {crls} --identity {identity}",
        ];
        return new QuickstartSigning(
            artifact, signed.Signature!, signed.Bundle!, signer.Record.Serial, signer.Record.SubjectAlternativeNames, signer.Record.NotAfter, signed.TimestampTime, crls, verify);
    }

    /// <summary>The issued mTLS certificate on both ends of a loopback TLS connection that requires client certificates.</summary>
    private static async Task<MtlsRoundTripResult> RoundTripAsync(IssuedCertificate issued, CancellationToken cancellationToken)
    {
        using var withKey = WithPrivateKey(issued.Certificate, issued.PrivateKey!);
        // The local CA always sends its root (only remote sources may leave it out).
        var root = issued.Root ?? throw new InvalidOperationException("the local CA issued a certificate without its root");
        return await MtlsRoundTrip.RunAsync(withKey, withKey, issued.Chain, root, AgentHost, TimeSpan.FromSeconds(30), cancellationToken);
    }

    private static System.Security.Cryptography.X509Certificates.X509Certificate2 WithPrivateKey(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, IExportableKey key)
    {
        var pkcs8 = key.ExportPkcs8();
        try
        {
            switch (key.Spec.Family)
            {
                case KeyAlgorithmFamily.Ecdsa:
                    using (var ecdsa = System.Security.Cryptography.ECDsa.Create())
                    {
                        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
                        return certificate.CopyWithPrivateKey(ecdsa);
                    }

                case KeyAlgorithmFamily.Rsa:
                    using (var rsa = System.Security.Cryptography.RSA.Create())
                    {
                        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                        return certificate.CopyWithPrivateKey(rsa);
                    }

                default:
                    throw new UsageException($"the quickstart's mTLS round trip needs an ECDSA or RSA key, not {key.Spec.Name}.");
            }
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(pkcs8);
        }
    }
}
