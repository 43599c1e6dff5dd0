using System.Text.Json.Serialization;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Workflows;

namespace PipelinePki.Cli.Output;

public sealed record ErrorBody(int ExitCode, string Message);

public sealed record ErrorDocument(ErrorBody Error);

/// <summary><c>cert issue --format json</c>: paths (never key contents) plus the facts a later step needs.</summary>
public sealed record IssueOutput(
    string Source,
    IssuedFiles Files,
    string Serial,
    string Subject,
    string Issuer,
    IReadOnlyList<string> SubjectAlternativeNames,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Profile,
    string KeyType,
    string Sha256Fingerprint);

/// <summary>One inventory row as <c>ca inventory --format json|csv</c> prints it (field names are part of the contract).</summary>
public sealed record InventoryRow(
    string Serial,
    string Subject,
    string Issuer,
    IReadOnlyList<string> Sans,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    string Status,
    string Profile,
    string KeyType,
    string Sha256Fingerprint,
    DateTimeOffset? RevokedAt,
    string? RevocationReason,
    string Source,
    string RequestedBy,
    string? Repository,
    string? RunId,
    string? Commit,
    DateTimeOffset IssuedAt);

public sealed record CrlOutput(string? Path, CrlInfo Crl);

public sealed record RevokeOutput(string Serial, string Subject, string Status, DateTimeOffset? RevokedAt, string? Reason, string Note);

public sealed record InspectOutput(string File, IReadOnlyList<InspectedObject> Objects);

public sealed record RotateOutput(CertificateInfo Intermediate);

// Serialization only: the CLI never reads these back, and the fast-path serializer skips building
// full metadata (which cost ~4% of a cert verify process in perf).
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Serialization,
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ErrorDocument))]
[JsonSerializable(typeof(IssueOutput))]
[JsonSerializable(typeof(List<InventoryRow>))]
[JsonSerializable(typeof(CrlOutput))]
[JsonSerializable(typeof(RevokeOutput))]
[JsonSerializable(typeof(InspectOutput))]
[JsonSerializable(typeof(CaInitResult))]
[JsonSerializable(typeof(CaStatus))]
[JsonSerializable(typeof(QuickstartResult))]
[JsonSerializable(typeof(RotateOutput))]
[JsonSerializable(typeof(PipelinePki.Core.Validation.VerificationOutcome))]
[JsonSerializable(typeof(PipelinePki.Core.Validation.PreflightReport))]
[JsonSerializable(typeof(PipelinePki.Core.Mtls.ProbeResult))]
[JsonSerializable(typeof(PipelinePki.Core.Mtls.Setup.MtlsSetupResult))]
[JsonSerializable(typeof(PipelinePki.Core.Mtls.Setup.MtlsTeardownResult))]
[JsonSerializable(typeof(PipelinePki.Cli.Commands.SignOutput))]
[JsonSerializable(typeof(PipelinePki.Cli.Commands.VerifyArtifactsOutput))]
[JsonSerializable(typeof(PipelinePki.Ci.GitHub.GitHubReleaseResult))]
[JsonSerializable(typeof(PipelinePki.Cli.Commands.RenewOutput))]
internal sealed partial class CliJson : JsonSerializerContext;
