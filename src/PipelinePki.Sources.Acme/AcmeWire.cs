using System.Text.Json;
using System.Text.Json.Serialization;

namespace PipelinePki.Sources.Acme;

// RFC 8555 resources as plain records: the JSON the server sends and the payloads we post.

public sealed record AcmeDirectoryMeta(
    [property: JsonPropertyName("termsOfService")] string? TermsOfService,
    [property: JsonPropertyName("externalAccountRequired")] bool? ExternalAccountRequired);

public sealed record AcmeDirectory(
    [property: JsonPropertyName("newNonce")] string NewNonce,
    [property: JsonPropertyName("newAccount")] string NewAccount,
    [property: JsonPropertyName("newOrder")] string NewOrder,
    [property: JsonPropertyName("revokeCert")] string? RevokeCert,
    [property: JsonPropertyName("keyChange")] string? KeyChange,
    [property: JsonPropertyName("renewalInfo")] string? RenewalInfo,
    [property: JsonPropertyName("meta")] AcmeDirectoryMeta? Meta);

public sealed record AcmeIdentifier(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("value")] string Value);

public sealed record AcmeSubproblem(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("identifier")] AcmeIdentifier? Identifier);

/// <summary>RFC 7807 problem document with RFC 8555 §6.7.1 subproblems.</summary>
public sealed record AcmeProblem(
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("detail")] string? Detail,
    [property: JsonPropertyName("status")] int? Status,
    [property: JsonPropertyName("subproblems")] IReadOnlyList<AcmeSubproblem>? Subproblems);

/// <summary>A flattened JWS (RFC 7515 §7.2.2), the body of every ACME POST.</summary>
public sealed record JwsMessage(
    [property: JsonPropertyName("protected")] string Protected,
    [property: JsonPropertyName("payload")] string Payload,
    [property: JsonPropertyName("signature")] string Signature);

/// <summary>An EC public key as JWK (RFC 7518 §6.2); member order is the RFC 7638 thumbprint order.</summary>
public sealed record EcJwk(
    [property: JsonPropertyName("crv")] string Crv,
    [property: JsonPropertyName("kty")] string Kty,
    [property: JsonPropertyName("x")] string X,
    [property: JsonPropertyName("y")] string Y);

public sealed record JwsProtectedHeader(
    [property: JsonPropertyName("alg")] string Alg,
    [property: JsonPropertyName("jwk")] EcJwk? Jwk,
    [property: JsonPropertyName("kid")] string? Kid,
    [property: JsonPropertyName("nonce")] string? Nonce,
    [property: JsonPropertyName("url")] string Url);

public sealed record NewAccountPayload(
    [property: JsonPropertyName("termsOfServiceAgreed")] bool? TermsOfServiceAgreed,
    [property: JsonPropertyName("contact")] IReadOnlyList<string>? Contact,
    [property: JsonPropertyName("externalAccountBinding")] JwsMessage? ExternalAccountBinding,
    [property: JsonPropertyName("onlyReturnExisting")] bool? OnlyReturnExisting);

public sealed record AcmeAccountResource(
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("contact")] IReadOnlyList<string>? Contact,
    [property: JsonPropertyName("orders")] string? Orders);

public sealed record NewOrderPayload(
    [property: JsonPropertyName("identifiers")] IReadOnlyList<AcmeIdentifier> Identifiers);

public sealed record AcmeOrder(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("expires")] string? Expires,
    [property: JsonPropertyName("identifiers")] IReadOnlyList<AcmeIdentifier>? Identifiers,
    [property: JsonPropertyName("authorizations")] IReadOnlyList<string> Authorizations,
    [property: JsonPropertyName("finalize")] string Finalize,
    [property: JsonPropertyName("certificate")] string? Certificate,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

public sealed record AcmeChallenge(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("token")] string? Token,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] AcmeProblem? Error);

public sealed record AcmeAuthorization(
    [property: JsonPropertyName("identifier")] AcmeIdentifier Identifier,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("challenges")] IReadOnlyList<AcmeChallenge> Challenges,
    [property: JsonPropertyName("wildcard")] bool? Wildcard);

public sealed record FinalizePayload([property: JsonPropertyName("csr")] string Csr);

public sealed record KeyChangePayload(
    [property: JsonPropertyName("account")] string Account,
    [property: JsonPropertyName("oldKey")] EcJwk OldKey);

public sealed record RevokePayload(
    [property: JsonPropertyName("certificate")] string Certificate,
    [property: JsonPropertyName("reason")] int? Reason);

public sealed record AcmeRenewalWindow(
    [property: JsonPropertyName("start")] DateTimeOffset Start,
    [property: JsonPropertyName("end")] DateTimeOffset End);

public sealed record AcmeRenewalInfo(
    [property: JsonPropertyName("suggestedWindow")] AcmeRenewalWindow SuggestedWindow,
    [property: JsonPropertyName("explanationURL")] string? ExplanationUrl);

/// <summary>What the state directory keeps per ACME directory: the account URL and its key file (never the key itself).</summary>
public sealed record AcmeAccountRecord(
    [property: JsonPropertyName("directory")] string Directory,
    [property: JsonPropertyName("accountUrl")] string AccountUrl,
    [property: JsonPropertyName("keyType")] string KeyType,
    [property: JsonPropertyName("contact")] IReadOnlyList<string> Contact,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt);

public sealed record EmptyPayload;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(JwsMessage))]
[JsonSerializable(typeof(EcJwk))]
[JsonSerializable(typeof(JwsProtectedHeader))]
[JsonSerializable(typeof(NewAccountPayload))]
[JsonSerializable(typeof(AcmeAccountResource))]
[JsonSerializable(typeof(NewOrderPayload))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeChallenge))]
[JsonSerializable(typeof(FinalizePayload))]
[JsonSerializable(typeof(KeyChangePayload))]
[JsonSerializable(typeof(RevokePayload))]
[JsonSerializable(typeof(AcmeRenewalInfo))]
[JsonSerializable(typeof(AcmeAccountRecord))]
[JsonSerializable(typeof(EmptyPayload))]
internal sealed partial class AcmeJson : JsonSerializerContext
{
    public static T Parse<T>(byte[] body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what, string url)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new PipelinePki.Core.RemoteFailureException(url, $"the ACME server sent a {what} that is not valid JSON ({e.Message}), {url}; check that --acme-directory points at an RFC 8555 server.", e);
        }
    }
}
