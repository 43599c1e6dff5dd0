using System.Text;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>Small text edits on the tools' own config formats; teardown restores the exact previous bytes, so edits only need to be correct, not minimal.</summary>
internal static class ConfigText
{
    public const string Marker = "added by pipeline-pki mtls setup; removed by mtls teardown";

    /// <summary>Appends a block, separated by a blank line from what was there.</summary>
    public static string Append(string? existing, string block)
    {
        if (string.IsNullOrEmpty(existing))
        {
            return block;
        }

        var separator = existing.EndsWith('\n') ? "\n" : "\n\n";
        return existing + separator + block;
    }

    /// <summary>A double-quoted value with backslash escapes (git config and curlrc share these rules for paths).</summary>
    public static string Quoted(string value)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '\\' or '"')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.Append('"').ToString();
    }

    /// <summary>
    /// Sets <paramref name="values"/> in an INI <paramref name="section"/> (pip's config): replaces
    /// existing keys there (pip's parser refuses duplicates) or adds them under the section header,
    /// creating the section at the end when it is missing.
    /// </summary>
    public static string SetIniValues(string? existing, string section, IReadOnlyList<(string Key, string Value)> values)
    {
        var lines = (existing ?? string.Empty).Replace("\r\n", "\n").Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        var header = lines.FindIndex(l => l.Trim().Equals($"[{section}]", StringComparison.OrdinalIgnoreCase));
        var assignments = values.Select(v => $"{v.Key} = {v.Value}").ToList();
        if (header < 0)
        {
            if (lines.Count > 0)
            {
                lines.Add(string.Empty);
            }

            lines.Add($"# {Marker}");
            lines.Add($"[{section}]");
            lines.AddRange(assignments);
            return string.Join('\n', lines) + "\n";
        }

        var end = lines.FindIndex(header + 1, l => l.TrimStart().StartsWith('['));
        if (end < 0)
        {
            end = lines.Count;
        }

        var keys = values.Select(v => v.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = end - 1; i > header; i--)
        {
            var line = lines[i];
            var equals = line.IndexOfAny(['=', ':']);
            if (equals > 0 && keys.Contains(line[..equals].Trim()))
            {
                lines.RemoveAt(i);
            }
        }

        lines.InsertRange(header + 1, [$"# {Marker}", .. assignments]);
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>npm's "nerf dart" of a registry URL: <c>//host[:port]/path/</c> up to the last slash, which scoped settings are keyed by.</summary>
    public static string NerfDart(Uri registry)
    {
        var path = registry.AbsolutePath;
        path = path[..(path.LastIndexOf('/') + 1)];
        return $"//{registry.Authority}{path}";
    }

    /// <summary>A YAML double-quoted scalar (JSON string syntax is valid YAML).</summary>
    public static string YamlString(string value) => System.Text.Json.JsonSerializer.Serialize(value, ConfigTextJson.Default.String);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ConfigTextJson : System.Text.Json.Serialization.JsonSerializerContext;
