namespace PipelinePki.Core.Mtls.Setup;

/// <summary>One <c>--for</c> value: a tool kind and its argument (<c>docker=HOST:PORT</c>, <c>git=URL</c>, <c>curl</c>, …).</summary>
public sealed record MtlsTarget(string Kind, string? Value, string? Name)
{
    /// <summary>Every kind setup knows, in the order they are documented.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["docker", "git", "curl", "npm", "pip", "nuget", "maven", "kube", "helm", "env"];

    private static readonly HashSet<string> NeedValue = ["docker", "git", "npm", "pip", "nuget", "kube", "helm"];
    private static readonly HashSet<string> TakeName = ["nuget", "kube", "helm"];

    public string Display => Value is null ? Kind : Name is null ? $"{Kind}={Value}" : $"{Kind}={Value},{Name}";

    /// <summary>Parses <c>KIND[=VALUE[,NAME]]</c>; anything else is a usage error naming the target.</summary>
    public static MtlsTarget Parse(string text)
    {
        var separator = text.IndexOf('=');
        var kind = (separator < 0 ? text : text[..separator]).Trim().ToLowerInvariant();
        var value = separator < 0 ? null : text[(separator + 1)..].Trim();
        if (!Kinds.Contains(kind))
        {
            var hint = kind == "dotnet" ? " (.NET callers use the PipelinePki.Core MtlsHttp API instead of a --for target)" : string.Empty;
            throw new UsageException($"--for {text}: unknown target '{kind}'{hint}; use one of {string.Join(", ", Kinds)}.");
        }

        string? name = null;
        if (value is not null && TakeName.Contains(kind) && value.LastIndexOf(',') is var comma and > 0)
        {
            name = value[(comma + 1)..].Trim();
            value = value[..comma].Trim();
        }

        if (NeedValue.Contains(kind) && string.IsNullOrEmpty(value))
        {
            throw new UsageException($"--for {text}: target '{kind}' needs a value ({Usage(kind)}).");
        }

        if (!NeedValue.Contains(kind) && value is not null)
        {
            throw new UsageException($"--for {text}: target '{kind}' takes no value (write just --for {kind}).");
        }

        if (kind is "git" or "npm" or "pip" or "nuget" or "kube" or "helm")
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                throw new UsageException($"--for {text}: '{value}' is not an https:// URL ({Usage(kind)}).");
            }
        }

        if (kind == "docker" && (value!.Contains('/') || value.Contains(' ')))
        {
            throw new UsageException($"--for {text}: give the registry as HOST[:PORT], without a scheme or path.");
        }

        if (name is not null && (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
        {
            throw new UsageException($"--for {text}: the name '{name}' may hold only letters, digits, '-', '_' and '.'.");
        }

        return new MtlsTarget(kind, value, name);
    }

    private static string Usage(string kind) => kind switch
    {
        "docker" => "docker=HOST[:PORT]",
        "git" => "git=https://host[:port]/[path]",
        "npm" => "npm=https://REGISTRY/",
        "pip" => "pip=https://INDEX/simple/",
        "nuget" => "nuget=https://SOURCE/index.json[,NAME]",
        "kube" => "kube=https://API-SERVER[:port][,NAME]",
        "helm" => "helm=https://REPO/[,NAME]",
        _ => kind,
    };
}
