using System.Net;
using System.Text.RegularExpressions;

namespace PipelinePki.Core.Certificates;

public enum SanType
{
    Dns,
    Ip,
    Uri,
    Email,
}

/// <summary>One subjectAltName entry, written on the command line as <c>dns:</c>, <c>ip:</c>, <c>uri:</c> or <c>email:</c>.</summary>
public sealed partial record SubjectAlternativeName(SanType Type, string Value)
{
    public static SubjectAlternativeName Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new UsageException($"--san: '{text}' needs a type prefix: dns:, ip:, uri: or email: (for example dns:build.example.internal).");
        }

        var prefix = text[..colon].ToLowerInvariant();
        var value = text[(colon + 1)..];
        return prefix switch
        {
            "dns" => Dns(value),
            "ip" => Ip(value),
            "uri" => Uri(value),
            "email" => Email(value),
            _ => throw new UsageException($"--san: unknown type '{prefix}' in '{text}'; use dns:, ip:, uri: or email:."),
        };
    }

    public static SubjectAlternativeName Dns(string value)
    {
        if (!IsDnsName(value))
        {
            throw new UsageException($"--san: '{value}' is not a DNS name (letters, digits, hyphens, dots; '*.' only as the first label).");
        }

        return new(SanType.Dns, value.ToLowerInvariant());
    }

    public static SubjectAlternativeName Ip(string value)
    {
        if (!IPAddress.TryParse(value, out var address))
        {
            throw new UsageException($"--san: '{value}' is not an IP address.");
        }

        return new(SanType.Ip, address.ToString());
    }

    public static SubjectAlternativeName Uri(string value)
    {
        if (!System.Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Scheme))
        {
            throw new UsageException($"--san: '{value}' is not an absolute URI (for example spiffe://example.internal/ci/build).");
        }

        return new(SanType.Uri, value);
    }

    public static SubjectAlternativeName Email(string value)
    {
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != value.LastIndexOf('@') || !IsDnsName(value[(at + 1)..]))
        {
            throw new UsageException($"--san: '{value}' is not an email address.");
        }

        return new(SanType.Email, value);
    }

    public static bool IsDnsName(string value)
    {
        if (value.Length is 0 or > 253)
        {
            return false;
        }

        var labels = value.Split('.');
        for (var i = 0; i < labels.Length; i++)
        {
            if (i == 0 && labels[i] == "*" && labels.Length > 2)
            {
                continue;
            }

            if (!DnsLabel().IsMatch(labels[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => $"{Type.ToString().ToLowerInvariant()}:{Value}";

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex DnsLabel();
}
