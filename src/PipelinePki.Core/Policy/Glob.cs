using System.Text;
using System.Text.RegularExpressions;

namespace PipelinePki.Core.Policy;

/// <summary>
/// The pattern language of policy documents. In DNS patterns <c>*</c> stands for one label (it
/// never crosses a dot, as in certificates); in URI, email and identity patterns <c>*</c> stands for
/// anything, so <c>spiffe://example.internal/ci/*</c> is a prefix. In artifact patterns <c>*</c>
/// stays inside one path segment and <c>**</c> crosses segments. <c>?</c> is one character.
/// </summary>
public static class Glob
{
    public enum Kind
    {
        Dns,
        Anything,
        Path,
    }

    public static bool IsMatch(string pattern, string value, Kind kind) =>
        ToRegex(pattern, kind).IsMatch(kind == Kind.Dns ? value.ToLowerInvariant() : value);

    public static Regex ToRegex(string pattern, Kind kind)
    {
        var text = kind == Kind.Dns ? pattern.ToLowerInvariant() : pattern;
        var builder = new StringBuilder("^");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '*')
            {
                var doubleStar = i + 1 < text.Length && text[i + 1] == '*';
                if (doubleStar)
                {
                    i++;
                }

                builder.Append(kind switch
                {
                    Kind.Dns => "[^.]+",
                    Kind.Path when !doubleStar => "[^/]*",
                    _ => ".*",
                });
            }
            else if (c == '?')
            {
                builder.Append(kind == Kind.Dns ? "[^.]" : kind == Kind.Path ? "[^/]" : ".");
            }
            else
            {
                builder.Append(Regex.Escape(c.ToString()));
            }
        }

        builder.Append('$');
        return new Regex(builder.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }
}
