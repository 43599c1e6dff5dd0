using Microsoft.Extensions.Logging;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Workflows;

public sealed record QuickstartRequest(string Directory, Requester Requester);

public sealed record QuickstartResult(
    string CaHome,
    bool CaCreated,
    CertificateInfo Root,
    CertificateInfo Intermediate,
    IssuedFiles Files,
    CertificateInfo Certificate,
    IReadOnlyList<string> VerifyCommands);

/// <summary>
/// The main job on the embedded default, end to end: a local two-tier CA (reused when the folder
/// already has one) and a 24 h mutual-TLS certificate for a build agent, with the commands an
/// independent tool (OpenSSL) uses to check it.
/// </summary>
public sealed class Quickstart(TimeProvider time, ILoggerFactory loggers)
{
    public const string AgentName = "build-agent";
    public const string AgentIdentity = "spiffe://pipeline-pki.local/quickstart/build-agent";

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
                [SubjectAlternativeName.Uri(AgentIdentity), SubjectAlternativeName.Dns("build-agent.pipeline-pki.local")],
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
        return new QuickstartResult(
            caHome,
            created,
            status.Root,
            status.Intermediate,
            files,
            CertificateDescriber.Describe(PkiObjectReader.ParseCertificate(issued.Certificate.RawData, files.Certificate)),
            verify);
    }
}
