using System.Text.Json.Serialization;

namespace PipelinePki.Sources.Vault;

// The request and response bodies of the Vault endpoints we call, as Vault's API documentation
// names their fields (snake_case). Source-generated: the CLI is native AOT.

internal sealed record VaultCertificateRequest(
    string? Csr,
    string CommonName,
    string? AltNames,
    string? IpSans,
    string? UriSans,
    string Ttl,
    string Format,
    string? PrivateKeyFormat);

internal sealed record VaultCertificateData(
    string? Certificate,
    string? IssuingCa,
    IReadOnlyList<string>? CaChain,
    string? SerialNumber,
    long? Expiration,
    string? PrivateKey,
    string? PrivateKeyType);

internal sealed record VaultAuthInfo(string? ClientToken, long? LeaseDuration, bool? Renewable);

internal sealed record VaultWrapInfo(string? Token, long? Ttl, string? CreationPath);

internal sealed record VaultCertificateEnvelope(VaultCertificateData? Data, VaultWrapInfo? WrapInfo, IReadOnlyList<string>? Warnings);

internal sealed record VaultLoginEnvelope(VaultAuthInfo? Auth);

internal sealed record VaultErrorBody(IReadOnlyList<string>? Errors);

internal sealed record VaultAppRoleLogin(string RoleId, string SecretId);

internal sealed record VaultJwtLogin(string Role, string Jwt);

internal sealed record VaultRevokeRequest(string SerialNumber);

internal sealed record VaultRevokeData(long? RevocationTime, string? RevocationTimeRfc3339, string? State);

internal sealed record VaultRevokeEnvelope(VaultRevokeData? Data);

internal sealed record VaultReadCertificateData(string? Certificate, long? RevocationTime);

internal sealed record VaultReadCertificateEnvelope(VaultReadCertificateData? Data);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VaultCertificateRequest))]
[JsonSerializable(typeof(VaultCertificateEnvelope))]
[JsonSerializable(typeof(VaultLoginEnvelope))]
[JsonSerializable(typeof(VaultErrorBody))]
[JsonSerializable(typeof(VaultAppRoleLogin))]
[JsonSerializable(typeof(VaultJwtLogin))]
[JsonSerializable(typeof(VaultRevokeRequest))]
[JsonSerializable(typeof(VaultRevokeEnvelope))]
[JsonSerializable(typeof(VaultReadCertificateEnvelope))]
internal sealed partial class VaultJson : JsonSerializerContext;
