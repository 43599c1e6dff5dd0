using System.Text.Json.Serialization;
using PipelinePki.Cli.Commands;
using PipelinePki.Core.Audit;
using PipelinePki.Core.Governance;

namespace PipelinePki.Cli.Output;

/// <summary>JSON documents of the governance commands (policy, audit, ca report, ca watch); same conventions as <see cref="CliJson"/>.</summary>
[JsonSourceGenerationOptions(
    GenerationMode = JsonSourceGenerationMode.Serialization,
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(PolicyValidateOutput))]
[JsonSerializable(typeof(PolicyTestOutput))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(ComplianceReport))]
[JsonSerializable(typeof(WatchReport))]
internal sealed partial class GovernanceJson : JsonSerializerContext;
