using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PipelinePki.Core;

namespace PipelinePki.Sources.Acme;

/// <summary>
/// The ACME account key (ES256 on P-256 or ES384 on P-384) and the JWS signatures it makes
/// (RFC 8555 §6.2, RFC 7515). JWS wants raw r||s, which is .NET's default ECDSA format.
/// </summary>
public sealed class AccountKey : IDisposable
{
    public const string DefaultKeyType = "ecdsa-p384";

    private readonly ECDsa key;

    private AccountKey(ECDsa key, string keyType)
    {
        this.key = key;
        KeyType = keyType;
        var parameters = key.ExportParameters(includePrivateParameters: false);
        Jwk = new EcJwk(keyType == "ecdsa-p256" ? "P-256" : "P-384", "EC", Base64Url.Encode(parameters.Q.X!), Base64Url.Encode(parameters.Q.Y!));
    }

    public string KeyType { get; }

    public string Algorithm => KeyType == "ecdsa-p256" ? "ES256" : "ES384";

    public EcJwk Jwk { get; }

    /// <summary>RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order, no whitespace.</summary>
    public string Thumbprint => Base64Url.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"{{\"crv\":\"{Jwk.Crv}\",\"kty\":\"EC\",\"x\":\"{Jwk.X}\",\"y\":\"{Jwk.Y}\"}}")));

    public static AccountKey Generate(string keyType) => keyType switch
    {
        "ecdsa-p256" => new AccountKey(ECDsa.Create(ECCurve.NamedCurves.nistP256), keyType),
        "ecdsa-p384" => new AccountKey(ECDsa.Create(ECCurve.NamedCurves.nistP384), keyType),
        _ => throw new UsageException($"--acme-account-key-type: '{keyType}' is not an ACME account key type; use ecdsa-p256 (ES256) or ecdsa-p384 (ES384)."),
    };

    public static AccountKey FromPem(string pem, string source)
    {
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            throw new BadInputException($"{source}: not a PEM EC private key; restore the account key file or remove the account directory to create a new account.");
        }

        var keyType = ecdsa.KeySize switch
        {
            256 => "ecdsa-p256",
            384 => "ecdsa-p384",
            _ => null,
        };
        if (keyType is null)
        {
            ecdsa.Dispose();
            throw new BadInputException($"{source}: the account key is not on P-256 or P-384; ACME accounts here use ES256 or ES384.");
        }

        return new AccountKey(ecdsa, keyType);
    }

    /// <summary>PKCS#8 PEM, for the 0600 key file only.</summary>
    public string ToPem() => PemEncoding.WriteString("PRIVATE KEY", key.ExportPkcs8PrivateKey());

    /// <summary>A flattened JWS; <paramref name="payload"/> null means POST-as-GET (empty payload, RFC 8555 §6.3).</summary>
    public JwsMessage Sign(JwsProtectedHeader header, byte[]? payload)
    {
        var protectedPart = Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(header, AcmeJson.Default.JwsProtectedHeader));
        var payloadPart = payload is null ? string.Empty : Base64Url.Encode(payload);
        var signingInput = Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart);
        var signature = key.SignData(signingInput, KeyType == "ecdsa-p256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384);
        return new JwsMessage(protectedPart, payloadPart, Base64Url.Encode(signature));
    }

    /// <summary>http-01 / dns-01 key authorization: token "." thumbprint (RFC 8555 §8.1).</summary>
    public string KeyAuthorization(string token) => token + "." + Thumbprint;

    public void Dispose() => key.Dispose();
}

/// <summary>External account binding (RFC 8555 §7.3.4): the account JWK, MAC'd with HS256 under the CA-issued key.</summary>
internal static class ExternalAccountBinding
{
    public static JwsMessage Create(string keyId, string macKeyBase64Url, EcJwk accountJwk, string newAccountUrl)
    {
        byte[] macKey;
        try
        {
            macKey = Base64Url.Decode(macKeyBase64Url);
        }
        catch (FormatException)
        {
            // The message names the variable's role, never its value.
            throw new BadInputException("--eab-hmac-env: the EAB MAC key is not base64url; copy it exactly as the CA issued it.");
        }

        try
        {
            var header = JsonSerializer.SerializeToUtf8Bytes(new JwsProtectedHeader("HS256", null, keyId, null, newAccountUrl), AcmeJson.Default.JwsProtectedHeader);
            var protectedPart = Base64Url.Encode(header);
            var payloadPart = Base64Url.Encode(JsonSerializer.SerializeToUtf8Bytes(accountJwk, AcmeJson.Default.EcJwk));
            var mac = HMACSHA256.HashData(macKey, Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart));
            return new JwsMessage(protectedPart, payloadPart, Base64Url.Encode(mac));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(macKey);
        }
    }
}

/// <summary>Unpadded base64url (RFC 4648 §5), as JOSE and ACME use it.</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    public static byte[] Decode(string text)
    {
        // EAB keys are sometimes handed out padded or in standard base64; accept both spellings.
        var normalized = text.Trim().TrimEnd('=').Replace('+', '-').Replace('/', '_');
        if (!System.Buffers.Text.Base64Url.IsValid(normalized))
        {
            throw new FormatException("not base64url");
        }

        return System.Buffers.Text.Base64Url.DecodeFromChars(normalized);
    }
}
