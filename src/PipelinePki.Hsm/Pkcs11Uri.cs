using System.Text;
using PipelinePki.Core;

namespace PipelinePki.Hsm;

/// <summary>
/// A PKCS#11 URI (RFC 7512) naming a key on a token: <c>pkcs11:token=CI;object=ca-key;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so</c>.
/// The PIN never travels in the URI: <c>pin-value</c> is refused (the caller names an environment
/// variable instead), and no error message repeats the URI text, which could carry one.
/// </summary>
public sealed record Pkcs11Uri
{
    private static readonly HashSet<string> PathAttributes = new(StringComparer.Ordinal)
    {
        "token", "manufacturer", "serial", "model", "library-manufacturer", "library-description", "library-version",
        "object", "type", "id", "slot-description", "slot-manufacturer", "slot-id",
    };

    private static readonly HashSet<string> QueryAttributes = new(StringComparer.Ordinal)
    {
        "pin-source", "module-name", "module-path",
    };

    private static readonly HashSet<string> ObjectTypes = new(StringComparer.Ordinal) { "public", "private", "cert", "secret-key", "data" };

    public string? Token { get; init; }

    public string? Manufacturer { get; init; }

    public string? Serial { get; init; }

    public string? Model { get; init; }

    /// <summary>The object's label (CKA_LABEL).</summary>
    public string? Object { get; init; }

    /// <summary>The object's CKA_ID, percent-decoded to its raw bytes.</summary>
    public ReadOnlyMemory<byte>? Id { get; init; }

    /// <summary><c>public</c>, <c>private</c>, <c>cert</c>, <c>secret-key</c> or <c>data</c>.</summary>
    public string? Type { get; init; }

    public string? ModulePath { get; init; }

    public string? ModuleName { get; init; }

    /// <summary>Kept as parsed; PIN files are not read, the PIN comes from the environment (--pin-env).</summary>
    public string? PinSource { get; init; }

    /// <summary>What errors name the key by: token and object, never the PIN.</summary>
    public string Description
    {
        get
        {
            var parts = new List<string>();
            if (Token is not null)
            {
                parts.Add($"token={Token}");
            }

            if (Object is not null)
            {
                parts.Add($"object={Object}");
            }

            if (Id is { } id)
            {
                parts.Add($"id={Convert.ToHexString(id.Span)}");
            }

            return "pkcs11:" + string.Join(';', parts);
        }
    }

    public static Pkcs11Uri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        const string Scheme = "pkcs11:";
        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw Problem("it must start with 'pkcs11:'");
        }

        var body = text[Scheme.Length..];
        var fragment = body.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            throw Problem("a fragment ('#') is not allowed");
        }

        var queryStart = body.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart >= 0 ? body[..queryStart] : body;
        var query = queryStart >= 0 ? body[(queryStart + 1)..] : string.Empty;

        var uri = new Pkcs11Uri();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, raw) in Split(path, ';'))
        {
            if (!PathAttributes.Contains(name) && !name.StartsWith("x-", StringComparison.Ordinal))
            {
                throw Problem($"unknown path attribute '{name}'");
            }

            uri = Apply(uri, name, raw, seen);
        }

        foreach (var (name, raw) in Split(query, '&'))
        {
            if (name == "pin-value")
            {
                throw Problem("pin-value is not accepted (a PIN in a URI ends up in logs and process lists); put the PIN in an environment variable and pass its name with --pin-env");
            }

            if (!QueryAttributes.Contains(name) && !name.StartsWith("x-", StringComparison.Ordinal))
            {
                throw Problem($"unknown query attribute '{name}'");
            }

            uri = Apply(uri, name, raw, seen);
        }

        return uri;
    }

    private static Pkcs11Uri Apply(Pkcs11Uri uri, string name, string raw, HashSet<string> seen)
    {
        if (!seen.Add(name))
        {
            throw Problem($"attribute '{name}' appears twice");
        }

        if (name == "id")
        {
            return uri with { Id = Decode(name, raw) };
        }

        var value = DecodeText(name, raw);
        return name switch
        {
            "token" => uri with { Token = value },
            "manufacturer" => uri with { Manufacturer = value },
            "serial" => uri with { Serial = value },
            "model" => uri with { Model = value },
            "object" => uri with { Object = value },
            "type" when !ObjectTypes.Contains(value) => throw Problem($"type '{value}' is not one of {string.Join(", ", ObjectTypes)}"),
            "type" => uri with { Type = value },
            "module-path" => uri with { ModulePath = value },
            "module-name" => uri with { ModuleName = value },
            "pin-source" => uri with { PinSource = value },
            _ => uri, // the remaining standard attributes and vendor x- attributes do not narrow our search
        };
    }

    private static IEnumerable<(string Name, string Value)> Split(string part, char separator)
    {
        if (part.Length == 0)
        {
            yield break;
        }

        foreach (var attribute in part.Split(separator))
        {
            var equals = attribute.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                var shown = attribute.StartsWith("pin-value", StringComparison.Ordinal) ? "pin-value" : attribute;
                throw Problem($"'{shown}' is not an attribute=value pair");
            }

            yield return (attribute[..equals], attribute[(equals + 1)..]);
        }
    }

    private static string DecodeText(string name, string raw)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Decode(name, raw));
        }
        catch (DecoderFallbackException e)
        {
            throw new UsageException($"PKCS#11 URI: attribute '{name}' is not valid UTF-8 after percent-decoding.", e);
        }
    }

    private static byte[] Decode(string name, string raw)
    {
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !IsHex(raw[i + 1]) || !IsHex(raw[i + 2]))
                {
                    throw Problem($"attribute '{name}' has a malformed percent-escape (expected %XX with two hex digits)");
                }

                bytes.Add(Convert.ToByte(raw.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c > 0x7F)
            {
                // Lenient on non-ASCII (RFC 7512 wants it escaped) but exact: UTF-8, as the escape would be.
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(raw.Substring(i, char.IsHighSurrogate(c) && i + 1 < raw.Length ? 2 : 1)));
                if (char.IsHighSurrogate(c))
                {
                    i++;
                }
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        return [.. bytes];
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static UsageException Problem(string what) => new($"PKCS#11 URI: {what}.");
}
