using System.Net;
using System.Text.RegularExpressions;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Policy;

public enum PolicyRuleStatus
{
    Passed,
    Failed,

    /// <summary>The policy has no such rule, or the rule does not apply to this object.</summary>
    NotApplicable,
}

/// <summary>One rule's verdict and the reason, in words a pipeline author can act on.</summary>
public sealed record PolicyRuleResult(string Rule, PolicyRuleStatus Status, string Detail);

/// <summary>Every rule's verdict for one request, certificate or artifact (what <c>policy test</c> prints).</summary>
public sealed record PolicyEvaluation(string Policy, string Target, string Kind, IReadOnlyList<PolicyRuleResult> Results)
{
    public bool Passed => Results.All(r => r.Status != PolicyRuleStatus.Failed);

    public IEnumerable<PolicyRuleResult> Violations => Results.Where(r => r.Status == PolicyRuleStatus.Failed);

    /// <summary>Refuses with the first failed rule's name (exit 5); the message lists every failed rule.</summary>
    public void ThrowIfViolated()
    {
        var violations = Violations.ToList();
        if (violations.Count > 0)
        {
            throw new PolicyViolationException(
                violations[0].Rule,
                $"{Target}: {string.Join("; ", violations.Select(v => $"[{v.Rule}] {v.Detail}"))} (policy {Policy}; 'pipeline-pki policy test' explains every rule)");
        }
    }
}

/// <summary>What issuance rules look at: the same facts whether they come from a request or an existing certificate.</summary>
public sealed record IssuanceFacts(
    string CommonName,
    IReadOnlyList<string> SubjectAlternativeNames,
    string Profile,
    IReadOnlyList<string> ExtendedKeyUsages,
    string KeyType,
    TimeSpan Lifetime,
    Requester? Requester)
{
    /// <summary>
    /// The facts of a request as any source would receive it. With a CSR the key type (and, when no
    /// SAN was given, the names) come from the CSR, so a policy cannot be side-stepped through one.
    /// </summary>
    public static IssuanceFacts FromRequest(IssueRequest request)
    {
        var keyType = request.KeySpec.Name;
        var names = request.SubjectAlternativeNames.Select(n => n.ToString()).ToList();
        var commonName = request.CommonName;
        if (request.CertificationRequest is { } csrInput)
        {
            var csr = PkiObjectReader.ReadCertificationRequest(csrInput.Content, csrInput.Source);
            var info = csr.GetCertificationRequestInfo();
            keyType = CertificateDescriber.KeyTypeOf(info.SubjectPublicKeyInfo);
            if (names.Count == 0)
            {
                names = PkiObjectReader.RequestedNames(csr).ToList();
            }

            if (string.IsNullOrWhiteSpace(commonName))
            {
                commonName = info.Subject.GetValueList(Org.BouncyCastle.Asn1.X509.X509Name.CN).FirstOrDefault() ?? string.Empty;
            }
        }

        var profile = request.Profile.Name();
        return new IssuanceFacts(commonName, names, profile, PolicyRules.EkusOf(profile), keyType, request.Lifetime, request.Requester);
    }

    /// <summary>An issued certificate judged by the issuance rules (<c>policy test CERT</c>); its lifetime excludes the usual back-dating.</summary>
    public static IssuanceFacts FromCertificate(CertificateInfo certificate)
    {
        var common = certificate.Subject.Split(", ").FirstOrDefault(p => p.StartsWith("CN=", StringComparison.Ordinal))?[3..] ?? string.Empty;
        // Whole minutes: certificate times are whole seconds, so the difference can be a second over the requested TTL.
        var lifetime = TimeSpan.FromMinutes(Math.Round((certificate.NotAfter - certificate.NotBefore - LocalAuthority.ClockSkewAllowance).TotalMinutes));
        return new IssuanceFacts(common, certificate.SubjectAlternativeNames, PolicyRules.ProfileOf(certificate.ExtendedKeyUsage),
            certificate.ExtendedKeyUsage, certificate.KeyType, lifetime < TimeSpan.Zero ? TimeSpan.Zero : lifetime, null);
    }
}

/// <summary>What verification rules look at: the validated path (leaf first, anchor last) and, for artifacts, the artifact.</summary>
public sealed record VerificationFacts(
    CertificateInfo Leaf,
    IReadOnlyList<CertificateInfo> Path,
    DateTimeOffset At,
    string? Artifact = null,
    RevocationChecking? Revocation = null);

/// <summary>How revocation was (or will be) checked, for the <c>revocation</c> rule's verdict.</summary>
public sealed record RevocationChecking(bool Checked, bool SoftFail);

/// <summary>Applies a <see cref="PolicyDocument"/>: one result per rule, always every rule, so <c>policy test</c> can explain each.</summary>
public static class PolicyEvaluator
{
    public static PolicyEvaluation EvaluateIssuance(PolicyDocument policy, IssuanceFacts facts, string target)
    {
        var rules = policy.Issuance;
        var results = new List<PolicyRuleResult>
        {
            KeyType(rules, facts),
            KeySize(rules, facts),
            MaxTtl(rules, facts),
            Sans(PolicyRules.SanDns, "dns:", rules.SanDns, facts, (p, v) => Glob.IsMatch(p, v, Glob.Kind.Dns)),
            Sans(PolicyRules.SanUri, "uri:", rules.SanUri, facts, (p, v) => Glob.IsMatch(p, v, Glob.Kind.Anything)),
            SanIp(rules, facts),
            Sans(PolicyRules.SanEmail, "email:", rules.SanEmail, facts, (p, v) => Glob.IsMatch(p.ToLowerInvariant(), v.ToLowerInvariant(), Glob.Kind.Anything)),
            EkuRequired(rules, facts),
            EkuForbidden(rules, facts),
            SubjectName(rules, facts),
            CiIdentity(rules, facts),
        };
        return new PolicyEvaluation(policy.Source, target, "issuance", results);
    }

    public static PolicyEvaluation EvaluateVerification(PolicyDocument policy, VerificationFacts facts, string target)
    {
        var rules = policy.Verification;
        var results = new List<PolicyRuleResult>
        {
            TrustedRoots(rules, facts),
            SignerIdentity(rules, facts),
            MinRemaining(rules, facts),
            Revocation(rules, facts),
            SignatureAlgorithm(rules, facts),
        };
        return new PolicyEvaluation(policy.Source, target, facts.Artifact is null ? "verification" : "artifact", results);
    }

    private static PolicyRuleResult KeyType(IssuancePolicy rules, IssuanceFacts facts) => rules.KeyTypes switch
    {
        null => NotApplicable(PolicyRules.KeyType, "no rule: any key type"),
        var allowed when allowed.Contains(facts.KeyType) => Pass(PolicyRules.KeyType, $"{facts.KeyType} is allowed"),
        var allowed => Fail(PolicyRules.KeyType, $"key type {facts.KeyType} is not allowed; use {string.Join(" or ", allowed)}"),
    };

    private static PolicyRuleResult KeySize(IssuancePolicy rules, IssuanceFacts facts)
    {
        var family = facts.KeyType.StartsWith("rsa", StringComparison.Ordinal) ? "rsa" : facts.KeyType.StartsWith("ecdsa", StringComparison.Ordinal) ? "ecdsa" : null;
        if (family is null || !rules.MinKeySizes.TryGetValue(family, out var minimum))
        {
            return NotApplicable(PolicyRules.KeySize, family is null ? $"{facts.KeyType} has a fixed size" : $"no minimum for {family} keys");
        }

        var bits = KeyBits(facts.KeyType);
        return bits >= minimum
            ? Pass(PolicyRules.KeySize, $"{bits} bits ≥ {minimum}")
            : Fail(PolicyRules.KeySize, $"{facts.KeyType} has {bits} bits, the minimum for {family} is {minimum}");
    }

    private static PolicyRuleResult MaxTtl(IssuancePolicy rules, IssuanceFacts facts)
    {
        var maximum = rules.MaxTtlFor(facts.Profile);
        return facts.Lifetime <= maximum
            ? Pass(PolicyRules.MaxTtl, $"lifetime {Durations.FormatApproximate(facts.Lifetime)} ≤ {Durations.Format(maximum)} for {facts.Profile}")
            : Fail(PolicyRules.MaxTtl, $"lifetime {Durations.FormatApproximate(facts.Lifetime)} exceeds {Durations.Format(maximum)} for profile {facts.Profile}; use a shorter --ttl");
    }

    private static PolicyRuleResult Sans(string rule, string prefix, IReadOnlyList<string>? patterns, IssuanceFacts facts, Func<string, string, bool> match)
    {
        var values = facts.SubjectAlternativeNames.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..]).ToList();
        if (patterns is null)
        {
            return NotApplicable(rule, "no rule: any name of this type");
        }

        if (values.Count == 0)
        {
            return NotApplicable(rule, "no name of this type requested");
        }

        var outside = values.Where(v => !patterns.Any(p => match(p, v))).ToList();
        return outside.Count == 0
            ? Pass(rule, $"{string.Join(", ", values)} within {string.Join(", ", patterns)}")
            : Fail(rule, $"{string.Join(", ", outside)} {(outside.Count == 1 ? "is" : "are")} outside the allowed {(patterns.Count == 0 ? "(none)" : string.Join(", ", patterns))}");
    }

    private static PolicyRuleResult SanIp(IssuancePolicy rules, IssuanceFacts facts)
    {
        var values = facts.SubjectAlternativeNames.Where(n => n.StartsWith("ip:", StringComparison.Ordinal)).Select(n => n[3..]).ToList();
        if (rules.SanIp is null)
        {
            return NotApplicable(PolicyRules.SanIp, "no rule: any address");
        }

        if (values.Count == 0)
        {
            return NotApplicable(PolicyRules.SanIp, "no address requested");
        }

        var outside = values.Where(v => !IPAddress.TryParse(v, out var address) || !rules.SanIp.Any(n => n.Contains(address))).ToList();
        var ranges = string.Join(", ", rules.SanIp.Select(n => n.ToString()));
        return outside.Count == 0
            ? Pass(PolicyRules.SanIp, $"{string.Join(", ", values)} within {ranges}")
            : Fail(PolicyRules.SanIp, $"{string.Join(", ", outside)} outside the allowed ranges {(ranges.Length == 0 ? "(none)" : ranges)}");
    }

    private static PolicyRuleResult EkuRequired(IssuancePolicy rules, IssuanceFacts facts)
    {
        if (rules.EkuRequired.Count == 0)
        {
            return NotApplicable(PolicyRules.EkuRequired, "no rule");
        }

        var missing = rules.EkuRequired.Where(e => !facts.ExtendedKeyUsages.Contains(e)).ToList();
        return missing.Count == 0
            ? Pass(PolicyRules.EkuRequired, $"carries {string.Join(", ", rules.EkuRequired)}")
            : Fail(PolicyRules.EkuRequired, $"profile {facts.Profile} lacks {string.Join(", ", missing)}");
    }

    private static PolicyRuleResult EkuForbidden(IssuancePolicy rules, IssuanceFacts facts)
    {
        if (rules.EkuForbidden.Count == 0)
        {
            return NotApplicable(PolicyRules.EkuForbidden, "no rule");
        }

        var present = rules.EkuForbidden.Where(e => facts.ExtendedKeyUsages.Contains(e)).ToList();
        return present.Count == 0
            ? Pass(PolicyRules.EkuForbidden, $"carries none of {string.Join(", ", rules.EkuForbidden)}")
            : Fail(PolicyRules.EkuForbidden, $"profile {facts.Profile} carries forbidden {string.Join(", ", present)}");
    }

    private static PolicyRuleResult SubjectName(IssuancePolicy rules, IssuanceFacts facts)
    {
        if (rules.SubjectNamePattern is not { } pattern)
        {
            return NotApplicable(PolicyRules.SubjectName, "no rule");
        }

        var regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return regex.IsMatch(facts.CommonName)
            ? Pass(PolicyRules.SubjectName, $"CN={facts.CommonName} matches {pattern}")
            : Fail(PolicyRules.SubjectName, $"CN={facts.CommonName} does not match {pattern}");
    }

    private static PolicyRuleResult CiIdentity(IssuancePolicy rules, IssuanceFacts facts)
    {
        if (rules.CiIdentities is not { } identities)
        {
            return NotApplicable(PolicyRules.CiIdentity, "no rule: any requester");
        }

        if (facts.Requester is not { } requester)
        {
            return NotApplicable(PolicyRules.CiIdentity, "the requester is not known for an existing certificate");
        }

        static bool Matches(string? pattern, string? value) => pattern is null || (value is not null && Glob.IsMatch(pattern, value, Glob.Kind.Anything));
        var who = $"{requester.Platform} repository={requester.Repository ?? "-"} ref={requester.Ref ?? "-"} workflow={requester.Workflow ?? "-"}";
        var matching = identities.Where(i => Matches(i.Repository, requester.Repository) && Matches(i.Ref, requester.Ref) && Matches(i.Workflow, requester.Workflow)).ToList();
        if (matching.Count == 0)
        {
            return Fail(PolicyRules.CiIdentity, $"{who} matches no ci-identity entry");
        }

        return matching.Any(i => i.Profiles.Contains("*") || i.Profiles.Contains(facts.Profile))
            ? Pass(PolicyRules.CiIdentity, $"{who} may request {facts.Profile}")
            : Fail(PolicyRules.CiIdentity, $"{who} may request only {string.Join(", ", matching.SelectMany(i => i.Profiles).Distinct())}, not {facts.Profile}");
    }

    private static PolicyRuleResult TrustedRoots(VerificationPolicy rules, VerificationFacts facts)
    {
        if (rules.TrustedRoots is not { } roots)
        {
            return NotApplicable(PolicyRules.TrustedRoots, "no rule: any anchor given with --trust");
        }

        if (facts.Path.Count == 0)
        {
            return Fail(PolicyRules.TrustedRoots, "no path to a trust anchor was built");
        }

        var anchor = facts.Path[^1];
        return roots.Contains(anchor.Sha256Fingerprint)
            ? Pass(PolicyRules.TrustedRoots, $"anchored at {anchor.Subject}, a trusted root")
            : Fail(PolicyRules.TrustedRoots, $"anchored at {anchor.Subject} (sha256:{anchor.Sha256Fingerprint}), which is not among the policy's trusted roots");
    }

    private static PolicyRuleResult SignerIdentity(VerificationPolicy rules, VerificationFacts facts)
    {
        if (facts.Artifact is not { } artifact)
        {
            return NotApplicable(PolicyRules.SignerIdentity, "applies to signed artifacts");
        }

        var normalized = artifact.Replace('\\', '/');
        var applicable = rules.SignerIdentities
            .Where(r => Glob.IsMatch(r.Artifact, normalized, Glob.Kind.Path) || Glob.IsMatch(r.Artifact, Path.GetFileName(normalized), Glob.Kind.Path))
            .ToList();
        if (applicable.Count == 0)
        {
            return NotApplicable(PolicyRules.SignerIdentity, "no rule names this artifact");
        }

        var names = facts.Leaf.SubjectAlternativeNames.Select(n => n[(n.IndexOf(':', StringComparison.Ordinal) + 1)..]).ToList();
        foreach (var rule in applicable)
        {
            if (!names.Any(n => Glob.IsMatch(rule.Identity, n, Glob.Kind.Anything)))
            {
                return Fail(PolicyRules.SignerIdentity, $"{artifact} must be signed by {rule.Identity}; the signer names {(names.Count == 0 ? "nothing" : string.Join(", ", names))}");
            }
        }

        return Pass(PolicyRules.SignerIdentity, $"signer names {string.Join(", ", applicable.Select(r => r.Identity))}");
    }

    private static PolicyRuleResult MinRemaining(VerificationPolicy rules, VerificationFacts facts)
    {
        if (rules.MinRemaining is not { } minimum)
        {
            return NotApplicable(PolicyRules.MinRemaining, "no rule");
        }

        if (facts.Artifact is not null)
        {
            return NotApplicable(PolicyRules.MinRemaining, "a signature is judged at its timestamp, not by the signer's remaining validity");
        }

        var left = facts.Leaf.NotAfter - facts.At;
        return left >= minimum
            ? Pass(PolicyRules.MinRemaining, $"{Durations.FormatApproximate(left)} left ≥ {Durations.Format(minimum)}")
            : Fail(PolicyRules.MinRemaining, left <= TimeSpan.Zero
                ? $"expired {facts.Leaf.NotAfter:u}"
                : $"only {Durations.FormatApproximate(left)} left, the policy wants {Durations.Format(minimum)}; renew it");
    }

    private static PolicyRuleResult Revocation(VerificationPolicy rules, VerificationFacts facts)
    {
        if (rules.Revocation == RevocationRequirement.Unspecified)
        {
            return NotApplicable(PolicyRules.Revocation, "no rule: the command's --revocation decides");
        }

        if (facts.Revocation is { } checking)
        {
            return rules.Revocation switch
            {
                RevocationRequirement.Required when !checking.Checked || checking.SoftFail => Fail(PolicyRules.Revocation, "revocation must be checked without --soft-fail or --revocation none"),
                RevocationRequirement.Required => Pass(PolicyRules.Revocation, "checked; an unknown status fails"),
                RevocationRequirement.SoftFail => Pass(PolicyRules.Revocation, "checked; an unknown status warns"),
                _ => Pass(PolicyRules.Revocation, "not checked (off)"),
            };
        }

        // An existing certificate on its own (policy test): can revocation be checked at all?
        var pointers = facts.Leaf.CrlDistributionPoints.Count + facts.Leaf.AuthorityInformationAccess.Count(a => a.StartsWith("ocsp", StringComparison.OrdinalIgnoreCase));
        return rules.Revocation == RevocationRequirement.Required && pointers == 0
            ? Fail(PolicyRules.Revocation, "revocation is required but the certificate names no CRL distribution point or OCSP responder (pass CRLs with --crl)")
            : Pass(PolicyRules.Revocation, $"{rules.Revocation switch { RevocationRequirement.Required => "required", RevocationRequirement.SoftFail => "soft-fail", _ => "off" }}; the certificate names {pointers} revocation source(s)");
    }

    private static PolicyRuleResult SignatureAlgorithm(VerificationPolicy rules, VerificationFacts facts)
    {
        if (rules.SignatureAlgorithms is not { } allowed)
        {
            return NotApplicable(PolicyRules.SignatureAlgorithm, "no rule");
        }

        // The anchor's self-signature carries no trust (RFC 5280 §6.1), so it is not judged.
        var judged = facts.Path.Count > 1 ? facts.Path.Take(facts.Path.Count - 1).ToList() : [facts.Leaf];
        var bad = judged.Where(c => !allowed.Contains(c.SignatureAlgorithm, StringComparer.OrdinalIgnoreCase)).ToList();
        return bad.Count == 0
            ? Pass(PolicyRules.SignatureAlgorithm, $"{string.Join(", ", judged.Select(c => c.SignatureAlgorithm).Distinct())} allowed")
            : Fail(PolicyRules.SignatureAlgorithm, string.Join("; ", bad.Select(c => $"{c.Subject} is signed with {c.SignatureAlgorithm}, not one of {string.Join(", ", allowed)}")));
    }

    private static int KeyBits(string keyType)
    {
        var dash = keyType.LastIndexOf('-');
        var digits = new string(keyType[(dash + 1)..].Where(char.IsDigit).ToArray());
        return int.TryParse(digits, out var bits) ? bits : 0;
    }

    private static PolicyRuleResult Pass(string rule, string detail) => new(rule, PolicyRuleStatus.Passed, detail);

    private static PolicyRuleResult Fail(string rule, string detail) => new(rule, PolicyRuleStatus.Failed, detail);

    private static PolicyRuleResult NotApplicable(string rule, string detail) => new(rule, PolicyRuleStatus.NotApplicable, detail);
}
