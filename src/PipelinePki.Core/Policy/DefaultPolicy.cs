using System.Text;

namespace PipelinePki.Core.Policy;

/// <summary>The built-in policy (<c>policy show</c>) and the normalized form of any policy.</summary>
public static class DefaultPolicy
{
    public const string Source = "built-in default policy";

    /// <summary>The default: the product's own security defaults written as rules, commented as a schema reference.</summary>
    public const string Text = """
        # pipeline-pki policy, schema version 1. Every rule is optional; a missing rule allows anything.
        version: 1
        issuance:
          # Key types a certificate may have (ecdsa-p256, ecdsa-p384, rsa-3072, rsa-4096, ed25519).
          key-type: [ecdsa-p384, ecdsa-p256, rsa-3072, rsa-4096, ed25519]
          # Minimum key sizes in bits per family.
          key-size: { rsa: 3072, ecdsa: 256 }
          # Longest lifetime per profile (client, server, mtls, code-signing); 'default' for the rest (24h if absent).
          max-ttl: { default: 24h }
          # Further rules (not set here):
          #   san-dns: ["*.ci.example.internal"]            '*' is one DNS label
          #   san-uri: ["spiffe://example.internal/ci/*"]   '*' is anything: a prefix
          #   san-ip: ["10.0.0.0/8"]                        CIDR ranges
          #   san-email: ["*@example.com"]
          #   eku-required: [clientAuth]                    serverAuth, clientAuth, codeSigning, emailProtection, timeStamping
          #   eku-forbidden: [serverAuth]
          #   subject-name: "build-[0-9]+"                  regular expression the whole CN must match
          #   ci-identity:                                  which CI identities may request which profiles
          #     - { repository: "acme/*", ref: "refs/heads/main", workflow: "*release*", profiles: [code-signing] }
          #     - { repository: "acme/*", profiles: [client, mtls] }
          # Rules over names this default cannot know are left out.
          eku-forbidden: []
        verification:
          # Signature algorithms accepted on every certificate below the anchor.
          signature-algorithm: [ecdsa-with-SHA256, ecdsa-with-SHA384, ecdsa-with-SHA512, sha256WithRSAEncryption, sha384WithRSAEncryption, sha512WithRSAEncryption, rsassa-pss, ed25519]
          # Further rules (not set here):
          #   trusted-roots: ["sha256:<64 hex>", "roots/ci-root.pem"]   fingerprints or files (relative to this file)
          #   signer-identity:
          #     - { artifact: "dist/**", identity: "spiffe://example.internal/ci/*" }
          #   min-remaining: 1h
          #   revocation: required                         required, soft-fail or off
        """;

    public static PolicyDocument Document { get; } = PolicyParser.Parse(Text, Source);

    /// <summary>A policy written back as YAML with its defaults filled in (what <c>policy show --policy FILE</c> prints).</summary>
    public static string Normalize(PolicyDocument policy)
    {
        var text = new StringBuilder();
        text.AppendLine($"# effective policy from {policy.Source}");
        text.AppendLine("version: 1");
        text.AppendLine("issuance:");
        var i = policy.Issuance;
        List("key-type", i.KeyTypes);
        if (i.MinKeySizes.Count > 0)
        {
            text.AppendLine($"  key-size: {{ {string.Join(", ", i.MinKeySizes.Select(p => $"{p.Key}: {p.Value}"))} }}");
        }

        var ttl = new Dictionary<string, TimeSpan>(i.MaxTtl);
        ttl.TryAdd(PolicyRules.DefaultProfileKey, IssuancePolicy.DefaultMaxTtl);
        text.AppendLine($"  max-ttl: {{ {string.Join(", ", ttl.Select(p => $"{p.Key}: {Durations.Format(p.Value)}"))} }}");
        List("san-dns", i.SanDns);
        List("san-uri", i.SanUri);
        List("san-ip", i.SanIp?.Select(n => n.ToString()).ToList());
        List("san-email", i.SanEmail);
        List("eku-required", i.EkuRequired.Count > 0 ? i.EkuRequired : null);
        List("eku-forbidden", i.EkuForbidden.Count > 0 ? i.EkuForbidden : null);
        if (i.SubjectNamePattern is { } pattern)
        {
            text.AppendLine($"  subject-name: {Quote(pattern)}");
        }

        if (i.CiIdentities is { } identities)
        {
            text.AppendLine("  ci-identity:");
            foreach (var identity in identities)
            {
                var fields = new List<string>();
                if (identity.Repository is { } r)
                {
                    fields.Add($"repository: {Quote(r)}");
                }

                if (identity.Ref is { } f)
                {
                    fields.Add($"ref: {Quote(f)}");
                }

                if (identity.Workflow is { } w)
                {
                    fields.Add($"workflow: {Quote(w)}");
                }

                fields.Add($"profiles: [{string.Join(", ", identity.Profiles.Select(Quote))}]");
                text.AppendLine($"    - {{ {string.Join(", ", fields)} }}");
            }
        }

        text.AppendLine("verification:");
        var v = policy.Verification;
        List("trusted-roots", v.TrustedRoots?.Select(f => $"sha256:{f}").ToList());
        if (v.SignerIdentities.Count > 0)
        {
            text.AppendLine("  signer-identity:");
            foreach (var rule in v.SignerIdentities)
            {
                text.AppendLine($"    - {{ artifact: {Quote(rule.Artifact)}, identity: {Quote(rule.Identity)} }}");
            }
        }

        if (v.MinRemaining is { } min)
        {
            text.AppendLine($"  min-remaining: {Durations.Format(min)}");
        }

        if (v.Revocation != RevocationRequirement.Unspecified)
        {
            text.AppendLine($"  revocation: {(v.Revocation switch { RevocationRequirement.Required => "required", RevocationRequirement.SoftFail => "soft-fail", _ => "off" })}");
        }

        List("signature-algorithm", v.SignatureAlgorithms);
        return text.ToString();

        void List(string key, IReadOnlyList<string>? values)
        {
            if (values is not null)
            {
                text.AppendLine($"  {key}: [{string.Join(", ", values.Select(Quote))}]");
            }
        }
    }

    private static string Quote(string value) => $"\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";
}
