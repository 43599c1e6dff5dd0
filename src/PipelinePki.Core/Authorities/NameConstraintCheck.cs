using PipelinePki.Core.Certificates;

namespace PipelinePki.Core.Authorities;

/// <summary>
/// Refuses to issue names the issuing CA's own name constraints forbid: a certificate every
/// verifier would reject is worse than a clear error at issuance (RFC 5280 §4.2.1.10 semantics).
/// </summary>
internal static class NameConstraintCheck
{
    public static void Enforce(IReadOnlyList<SubjectAlternativeName> names, IReadOnlyList<string> permittedDns, IReadOnlyList<string> permittedUris)
    {
        foreach (var name in names)
        {
            switch (name.Type)
            {
                case SanType.Dns when permittedDns.Count > 0 && !permittedDns.Any(p => DnsWithin(name.Value, p)):
                    throw Violation(name, permittedDns);
                case SanType.Uri when permittedUris.Count > 0 && !UriWithin(name.Value, permittedUris):
                    throw Violation(name, permittedUris);
            }
        }
    }

    /// <summary>"example.com" permits itself and every subdomain; ".example.com" only subdomains.</summary>
    public static bool DnsWithin(string name, string constraint)
    {
        name = name.ToLowerInvariant();
        constraint = constraint.ToLowerInvariant();
        if (name.StartsWith("*.", StringComparison.Ordinal))
        {
            name = name[2..];
            if (constraint.StartsWith('.'))
            {
                return name.EndsWith(constraint, StringComparison.Ordinal) || "." + name == constraint;
            }
        }

        return constraint.StartsWith('.')
            ? name.EndsWith(constraint, StringComparison.Ordinal)
            : name == constraint || name.EndsWith("." + constraint, StringComparison.Ordinal);
    }

    /// <summary>URI constraints apply to the host part (RFC 5280): same host rules as DNS.</summary>
    private static bool UriWithin(string uri, IReadOnlyList<string> constraints)
    {
        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
        {
            return false;
        }

        return constraints.Any(c => DnsWithin(parsed.Host, c));
    }

    private static PolicyViolationException Violation(SubjectAlternativeName name, IReadOnlyList<string> permitted) =>
        new("name-constraints", $"--san {name}: outside the issuing CA's permitted names ({string.Join(", ", permitted)}); request a name inside them.");
}
