using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace PipelinePki.Sources.Vault;

/// <summary>
/// Removes secrets from text that leaves the process (errors, logs): every value this source read or
/// received (tokens, secret ids, JWTs, wrapping tokens) and anything shaped like a Vault token or a JWT,
/// because Vault error messages may echo what was sent.
/// </summary>
internal sealed partial class SecretRedactor
{
    public const string Mask = "[redacted]";

    private readonly ConcurrentDictionary<string, byte> secrets = new(StringComparer.Ordinal);

    public void Add(string? secret)
    {
        // Very short values would redact ordinary words; Vault tokens and ids are long.
        if (secret is { Length: >= 6 })
        {
            secrets.TryAdd(secret, 0);
        }
    }

    public string Redact(string text)
    {
        foreach (var secret in secrets.Keys.OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        text = VaultToken().Replace(text, Mask);
        return Jwt().Replace(text, Mask);
    }

    // Service, batch and recovery tokens (hvs./hvb./hvr.), and the older s./b./r. forms.
    [GeneratedRegex(@"\b(hv[sbr]|[sbr])\.[A-Za-z0-9_\-]{20,}")]
    private static partial Regex VaultToken();

    [GeneratedRegex(@"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")]
    private static partial Regex Jwt();
}
