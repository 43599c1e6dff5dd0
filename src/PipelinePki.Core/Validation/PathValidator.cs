using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkix;
using Org.BouncyCastle.X509;

namespace PipelinePki.Core.Validation;

/// <summary>The verdicts of RFC 5280 §6.1 on one path, revocation aside.</summary>
internal sealed record PathVerdict(IReadOnlyList<CheckResult> Checks, IReadOnlyList<string> ValidPolicies)
{
    public bool Passed => Checks.All(c => c.Status != CheckStatus.Failed);
}

/// <summary>
/// RFC 5280 §6.1 basic path validation, one check result per rule so a failure explains itself.
/// Extensions of the trust anchor are not processed (§6.1.1 (d): the anchor contributes its name
/// and key), but its validity period is checked, as OpenSSL does: an expired root is a finding a
/// pipeline gate should report, not silently accept.
/// </summary>
internal static class PathValidator
{
    private static readonly HashSet<string> Understood =
    [
        X509Extensions.BasicConstraints.Id, X509Extensions.KeyUsage.Id, X509Extensions.ExtendedKeyUsage.Id,
        X509Extensions.SubjectAlternativeName.Id, X509Extensions.IssuerAlternativeName.Id, X509Extensions.NameConstraints.Id,
        X509Extensions.CertificatePolicies.Id, X509Extensions.PolicyMappings.Id, X509Extensions.PolicyConstraints.Id,
        X509Extensions.InhibitAnyPolicy.Id, X509Extensions.SubjectKeyIdentifier.Id, X509Extensions.AuthorityKeyIdentifier.Id,
        X509Extensions.CrlDistributionPoints.Id, X509Extensions.FreshestCrl.Id, X509Extensions.AuthorityInfoAccess.Id,
        X509Extensions.SubjectInfoAccess.Id,
        "1.3.6.1.5.5.7.48.1.5", // id-pkix-ocsp-nocheck
        "1.3.6.1.4.1.11129.2.4.2", // certificate transparency SCT list
    ];

    /// <param name="path">Leaf first, trust anchor last.</param>
    /// <param name="atUtc">The validation time.</param>
    /// <param name="policy">The user-initial-policy-set and the policy switches (§6.1.1 (c), (e)–(g)).</param>
    /// <param name="signatures">This run's signature checks (each issuer key imported once).</param>
    public static PathVerdict Validate(IReadOnlyList<X509Certificate> path, DateTime atUtc, PolicyOptions policy, SignatureVerifier signatures)
    {
        var checks = new List<CheckResult>();
        var anchor = path[^1];
        var n = path.Count - 1;

        if (!CertificateFacts.ValidAt(anchor, atUtc))
        {
            checks.Add(Fail(CheckNames.Validity, ValidityProblem(anchor, atUtc), n, anchor));
        }

        if (n == 0)
        {
            checks.Add(Pass(CheckNames.PathBuilding, "the certificate is itself a trust anchor", 0, anchor));
            return new PathVerdict(checks, [PolicyOptions.AnyPolicy]);
        }

        byte[]? workingKey = CertificateFacts.PublicKeyInfo(anchor);
        var workingIssuer = anchor.SubjectDN;
        var nameConstraints = new PkixNameConstraintValidator();
        var explicitPolicy = policy.RequireExplicitPolicy ? 0 : n + 1;
        var inhibitAnyPolicy = policy.InhibitAnyPolicy ? 0 : n + 1;
        var policyMapping = policy.InhibitPolicyMapping ? 0 : n + 1;
        var maxPathLength = n;
        var tree = PolicyTree.Create();
        var treeNull = false;
        var policyFailure = (string?)null;

        // i counts from 1 (the certificate the anchor issued) to n (the leaf); index = path position.
        for (var i = 1; i <= n; i++)
        {
            var index = n - i;
            var certificate = path[index];
            var isLeaf = i == n;
            var selfIssued = CertificateFacts.IsSelfIssued(certificate);

            // §6.1.3 (a) (1) signature, (2) validity, (4) issuer name chaining.
            checks.Add(CertificateFacts.SignatureVerifies(certificate, workingKey, signatures)
                ? Pass(CheckNames.Signature, "signature verifies with the issuer's key", index, certificate)
                : Fail(CheckNames.Signature, $"signature does not verify with the key of {CertificateFacts.Subject(path[index + 1])}", index, certificate));
            checks.Add(CertificateFacts.ValidAt(certificate, atUtc)
                ? Pass(CheckNames.Validity, $"valid {Format(certificate.NotBefore)} to {Format(certificate.NotAfter)}", index, certificate)
                : Fail(CheckNames.Validity, ValidityProblem(certificate, atUtc), index, certificate));
            if (!certificate.IssuerDN.Equivalent(workingIssuer))
            {
                checks.Add(Fail(CheckNames.IssuerName, $"issuer {Certificates.CertificateDescriber.FormatName(certificate.IssuerDN)} is not the previous subject", index, certificate));
            }

            // §6.1.3 (b)-(c) name constraints, for every certificate but self-issued intermediates.
            if (!(selfIssued && !isLeaf))
            {
                var problem = NameConstraintProblem(nameConstraints, certificate);
                if (problem is not null)
                {
                    checks.Add(Fail(CheckNames.NameConstraints, problem, index, certificate));
                }
            }

            // §6.1.3 (d)-(f) certificate policies.
            var policies = PoliciesOf(certificate);
            if (!treeNull)
            {
                if (policies is null)
                {
                    treeNull = true;
                }
                else
                {
                    var anyAllowed = inhibitAnyPolicy > 0 || (!isLeaf && selfIssued);
                    treeNull = !tree.ProcessCertificatePolicies(i, policies, anyAllowed);
                }
            }

            if (explicitPolicy <= 0 && treeNull)
            {
                policyFailure ??= $"no acceptable certificate policy at {CertificateFacts.Subject(certificate)} (an explicit policy is required)";
            }

            if (!isLeaf)
            {
                // §6.1.4 (a)-(b) policy mappings.
                var mappings = MappingsOf(certificate);
                if (mappings.Count > 0)
                {
                    if (mappings.Any(m => m.IssuerDomain == PolicyOptions.AnyPolicy || m.SubjectDomain == PolicyOptions.AnyPolicy))
                    {
                        policyFailure ??= $"{CertificateFacts.Subject(certificate)} maps anyPolicy, which RFC 5280 §6.1.4 (a) forbids";
                    }
                    else if (!treeNull)
                    {
                        treeNull = !tree.ApplyMappings(i, mappings, policyMapping > 0);
                    }
                }

                // §6.1.4 (c)-(f) the next working issuer and key.
                workingIssuer = certificate.SubjectDN;
                workingKey = CertificateFacts.PublicKeyInfo(certificate);

                // §6.1.4 (g) name constraints accumulate.
                if (CertificateFacts.ExtensionValue(certificate, X509Extensions.NameConstraints) is { } nc)
                {
                    AccumulateNameConstraints(nameConstraints, NameConstraints.GetInstance(nc));
                }

                // §6.1.4 (h)-(j) policy counters.
                if (!selfIssued)
                {
                    if (explicitPolicy > 0)
                    {
                        explicitPolicy--;
                    }

                    if (policyMapping > 0)
                    {
                        policyMapping--;
                    }

                    if (inhibitAnyPolicy > 0)
                    {
                        inhibitAnyPolicy--;
                    }
                }

                if (CertificateFacts.ExtensionValue(certificate, X509Extensions.PolicyConstraints) is { } pc)
                {
                    var (require, inhibit) = PolicyConstraintsOf(pc);
                    if (require is { } r && r < explicitPolicy)
                    {
                        explicitPolicy = r;
                    }

                    if (inhibit is { } m && m < policyMapping)
                    {
                        policyMapping = m;
                    }
                }

                if (CertificateFacts.ExtensionValue(certificate, X509Extensions.InhibitAnyPolicy) is { } iap)
                {
                    var skip = DerInteger.GetInstance(iap).IntValueExact;
                    if (skip < inhibitAnyPolicy)
                    {
                        inhibitAnyPolicy = skip;
                    }
                }

                // §6.1.4 (k) it must be a CA; (l)-(m) path length; (n) keyCertSign.
                var basic = BasicConstraintsOf(certificate);
                if (basic is null || !basic.IsCA())
                {
                    checks.Add(Fail(CheckNames.BasicConstraints, "issues certificates but is not a CA (basicConstraints cA is not true)", index, certificate));
                }
                else
                {
                    checks.Add(Pass(CheckNames.BasicConstraints, "is a CA", index, certificate));
                }

                if (!selfIssued)
                {
                    if (maxPathLength <= 0)
                    {
                        checks.Add(Fail(CheckNames.PathLength, "the path is longer than an issuer's pathLenConstraint allows", index, certificate));
                    }

                    maxPathLength--;
                }

                if (basic?.PathLenConstraint is { } pathLen && pathLen.IntValue < maxPathLength)
                {
                    maxPathLength = pathLen.IntValue;
                }

                var usage = certificate.GetKeyUsage();
                if (usage is not null && (usage.Length <= 5 || !usage[5]))
                {
                    checks.Add(Fail(CheckNames.KeyUsage, "a CA certificate without keyCertSign in its key usage", index, certificate));
                }
            }

            // §6.1.4 (o) / §6.1.5 (f) unrecognised critical extensions.
            var unknown = UnknownCriticalExtensions(certificate);
            if (unknown.Count > 0)
            {
                checks.Add(Fail(CheckNames.CriticalExtensions, $"unrecognised critical extension {string.Join(", ", unknown)}", index, certificate));
            }
        }

        // §6.1.5 (a)-(b) and (g): the wrap-up of policy processing.
        var leaf = path[0];
        if (explicitPolicy > 0)
        {
            explicitPolicy--;
        }

        if (CertificateFacts.ExtensionValue(leaf, X509Extensions.PolicyConstraints) is { } leafPc
            && PolicyConstraintsOf(leafPc).RequireExplicitPolicy == 0)
        {
            explicitPolicy = 0;
        }

        IReadOnlyList<string> validPolicies = treeNull ? [] : tree.Intersect(n, policy.InitialPolicies);
        if (validPolicies.Count == 0)
        {
            treeNull = true;
        }

        if (policyFailure is not null)
        {
            checks.Add(Fail(CheckNames.Policy, policyFailure, null, null));
        }
        else if (explicitPolicy <= 0 && treeNull)
        {
            var asked = policy.InitialPolicies.Contains(PolicyOptions.AnyPolicy) ? "any policy" : string.Join(", ", policy.InitialPolicies);
            checks.Add(Fail(CheckNames.Policy, $"no certificate policy valid for the whole path satisfies {asked}", null, null));
        }
        else
        {
            checks.Add(Pass(CheckNames.Policy, validPolicies.Count == 0 ? "no policy required" : $"valid policies: {string.Join(", ", validPolicies)}", null, null));
        }

        if (!checks.Any(c => c.Check == CheckNames.NameConstraints))
        {
            checks.Add(Pass(CheckNames.NameConstraints, "every name is inside the permitted and outside the excluded subtrees", null, null));
        }

        return new PathVerdict(checks, validPolicies);
    }

    private static string? NameConstraintProblem(PkixNameConstraintValidator validator, X509Certificate certificate)
    {
        try
        {
            var subject = Asn1Sequence.GetInstance(certificate.SubjectDN.ToAsn1Object());
            if (subject.Count > 0)
            {
                validator.CheckPermittedDN(subject);
                validator.CheckExcludedDN(subject);
            }

            // An emailAddress in the subject is an rfc822Name for constraint purposes (§4.2.1.10).
            foreach (var email in certificate.SubjectDN.GetValueList(X509Name.EmailAddress))
            {
                var name = new GeneralName(GeneralName.Rfc822Name, email);
                validator.CheckPermittedName(name);
                validator.CheckExcludedName(name);
            }

            if (CertificateFacts.ExtensionValue(certificate, X509Extensions.SubjectAlternativeName) is { } san)
            {
                foreach (var name in GeneralNames.GetInstance(san).GetNames())
                {
                    validator.CheckPermittedName(name);
                    validator.CheckExcludedName(name);
                }
            }

            return null;
        }
        catch (PkixNameConstraintValidatorException e)
        {
            return e.Message.TrimEnd('.');
        }
    }

    private static void AccumulateNameConstraints(PkixNameConstraintValidator validator, NameConstraints constraints)
    {
        if (constraints.PermittedSubtreesValue is { } permitted)
        {
            validator.IntersectPermittedSubtree(Asn1Sequence.GetInstance(permitted.ToAsn1Object()));
        }

        if (constraints.ExcludedSubtreesValue is { } excluded)
        {
            foreach (var subtree in excluded.GetElements())
            {
                validator.AddExcludedSubtree(subtree);
            }
        }
    }

    private static List<string>? PoliciesOf(X509Certificate certificate) =>
        CertificateFacts.ExtensionValue(certificate, X509Extensions.CertificatePolicies) is { } value
            ? Asn1Sequence.GetInstance(value).Cast<Asn1Encodable>().Select(p => PolicyInformation.GetInstance(p).PolicyIdentifier.Id).ToList()
            : null;

    private static List<(string IssuerDomain, string SubjectDomain)> MappingsOf(X509Certificate certificate)
    {
        if (CertificateFacts.ExtensionValue(certificate, X509Extensions.PolicyMappings) is not { } value)
        {
            return [];
        }

        return Asn1Sequence.GetInstance(value).Cast<Asn1Encodable>()
            .Select(m => Asn1Sequence.GetInstance(m))
            .Select(m => (DerObjectIdentifier.GetInstance(m[0]).Id, DerObjectIdentifier.GetInstance(m[1]).Id))
            .ToList();
    }

    /// <summary>PolicyConstraints ::= SEQUENCE { requireExplicitPolicy [0] IMPLICIT SkipCerts OPTIONAL, inhibitPolicyMapping [1] IMPLICIT SkipCerts OPTIONAL }.</summary>
    private static (int? RequireExplicitPolicy, int? InhibitPolicyMapping) PolicyConstraintsOf(Asn1Object value)
    {
        int? require = null;
        int? inhibit = null;
        foreach (var element in Asn1Sequence.GetInstance(value))
        {
            var tagged = Asn1TaggedObject.GetInstance(element);
            var skip = DerInteger.GetInstance(tagged, false).IntValueExact;
            if (tagged.TagNo == 0)
            {
                require = skip;
            }
            else if (tagged.TagNo == 1)
            {
                inhibit = skip;
            }
        }

        return (require, inhibit);
    }

    private static BasicConstraints? BasicConstraintsOf(X509Certificate certificate) =>
        CertificateFacts.ExtensionValue(certificate, X509Extensions.BasicConstraints) is { } value ? BasicConstraints.GetInstance(value) : null;

    private static List<string> UnknownCriticalExtensions(X509Certificate certificate) =>
        certificate.GetCriticalExtensionOids()?.Where(oid => !Understood.Contains(oid)).ToList() ?? [];

    internal static string ValidityProblem(X509Certificate certificate, DateTime atUtc) =>
        atUtc < certificate.NotBefore.ToUniversalTime()
            ? $"not valid before {Format(certificate.NotBefore)} (checked at {Format(atUtc)})"
            : $"expired on {Format(certificate.NotAfter)} (checked at {Format(atUtc)})";

    private static string Format(DateTime time) => time.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture);

    private static CheckResult Pass(string check, string detail, int? index, X509Certificate? certificate) =>
        new(check, CheckStatus.Passed, detail, index, certificate is null ? null : CertificateFacts.Subject(certificate));

    private static CheckResult Fail(string check, string detail, int? index, X509Certificate? certificate) =>
        new(check, CheckStatus.Failed, detail, index, certificate is null ? null : CertificateFacts.Subject(certificate));
}
