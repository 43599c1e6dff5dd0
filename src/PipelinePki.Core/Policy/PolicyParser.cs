using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PipelinePki.Core.Policy;

/// <summary>
/// Reads a policy document node by node with YamlDotNet's representation model. That model needs no
/// reflection (safe under native AOT), and every node keeps its position, so each error names
/// <c>FILE:line:column</c>. Unknown keys are errors: a misspelt rule must not silently allow everything.
/// </summary>
public static partial class PolicyParser
{
    public const int SupportedVersion = 1;

    public static PolicyDocument ParseFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BadInputException($"{path}: cannot read the policy file ({e.Message}); check the --policy path or PIPELINE_PKI_POLICY.", e);
        }

        return Parse(text, path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <param name="baseDirectory">Where relative <c>trusted-roots</c> files are found (the policy file's folder).</param>
    public static PolicyDocument Parse(string text, string source, string? baseDirectory = null)
    {
        var reader = new Reader(source, baseDirectory ?? Directory.GetCurrentDirectory());
        var stream = new YamlStream();
        var scanner = new Scanner(new StringReader(text));
        try
        {
            stream.Load(new Parser(scanner));
        }
        catch (YamlException e)
        {
            throw new BadInputException($"{source}:{e.Start.Line}:{e.Start.Column}: not valid YAML ({LocationPrefix().Replace(e.Message, string.Empty)}); fix the policy file.", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet 18.1 throws this instead of a YamlException for some unterminated flow collections.
            var at = scanner.CurrentPosition;
            throw new BadInputException($"{source}:{at.Line}:{at.Column}: not valid YAML (an unterminated [ ] or {{ }} collection?); fix the policy file.", e);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            throw new BadInputException($"{source}:1:1: the policy is empty; start it with 'version: {SupportedVersion}'.");
        }

        if (stream.Documents.Count > 1)
        {
            throw reader.Error(stream.Documents[1].RootNode, "one policy per file: a second YAML document starts here");
        }

        return reader.Document(stream.Documents[0].RootNode);
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex LocationPrefix();

    private sealed class Reader(string source, string baseDirectory)
    {
        public BadInputException Error(YamlNode node, string what) =>
            new($"{source}:{node.Start.Line}:{node.Start.Column}: {what}; fix the policy file (see 'pipeline-pki policy show' for the schema).");

        public PolicyDocument Document(YamlNode root)
        {
            var top = Mapping(root, "the policy");
            Keys(top, "the policy", "version", "issuance", "verification");
            if (!TryGet(top, "version", out var versionNode))
            {
                throw Error(root, $"'version' is missing; start the policy with 'version: {SupportedVersion}'");
            }

            var version = Scalar(versionNode, "version");
            if (version != SupportedVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw Error(versionNode, $"version '{version}' is not supported; this release reads version {SupportedVersion}");
            }

            var issuance = TryGet(top, "issuance", out var issuanceNode) ? Issuance(issuanceNode) : Empty.Issuance;
            var verification = TryGet(top, "verification", out var verificationNode) ? Verification(verificationNode) : Empty.Verification;
            return new PolicyDocument(source, issuance, verification);
        }

        private IssuancePolicy Issuance(YamlNode node)
        {
            var map = Mapping(node, "issuance");
            Keys(map, "issuance", PolicyRules.KeyType, PolicyRules.KeySize, PolicyRules.MaxTtl, PolicyRules.SanDns, PolicyRules.SanUri,
                PolicyRules.SanIp, PolicyRules.SanEmail, PolicyRules.EkuRequired, PolicyRules.EkuForbidden, PolicyRules.SubjectName, PolicyRules.CiIdentity);

            IReadOnlyList<string>? keyTypes = null;
            if (TryGet(map, PolicyRules.KeyType, out var keyTypeNode))
            {
                keyTypes = Strings(keyTypeNode, PolicyRules.KeyType, (n, v) =>
                {
                    var known = KeySpec.All.FirstOrDefault(s => string.Equals(s.Name, v, StringComparison.OrdinalIgnoreCase))
                        ?? throw Error(n, $"{PolicyRules.KeyType}: unknown key type '{v}'; use {string.Join(", ", KeySpec.All.Select(s => s.Name))}");
                    return known.Name;
                });
            }

            var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
            if (TryGet(map, PolicyRules.KeySize, out var sizeNode))
            {
                foreach (var (key, value) in Pairs(sizeNode, PolicyRules.KeySize))
                {
                    var family = Scalar(key, PolicyRules.KeySize).ToLowerInvariant();
                    if (family is not ("rsa" or "ecdsa"))
                    {
                        throw Error(key, $"{PolicyRules.KeySize}: '{family}' is not a key family; use rsa or ecdsa (minimum bits)");
                    }

                    var bits = Scalar(value, $"{PolicyRules.KeySize}.{family}");
                    sizes[family] = int.TryParse(bits, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0
                        ? b
                        : throw Error(value, $"{PolicyRules.KeySize}.{family}: '{bits}' is not a number of bits");
                }
            }

            var maxTtl = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
            if (TryGet(map, PolicyRules.MaxTtl, out var ttlNode))
            {
                if (ttlNode is YamlScalarNode)
                {
                    maxTtl[PolicyRules.DefaultProfileKey] = Duration(ttlNode, PolicyRules.MaxTtl);
                }
                else
                {
                    foreach (var (key, value) in Pairs(ttlNode, PolicyRules.MaxTtl))
                    {
                        var profile = Scalar(key, PolicyRules.MaxTtl);
                        if (profile != PolicyRules.DefaultProfileKey && !PolicyRules.Profiles.Contains(profile))
                        {
                            throw Error(key, $"{PolicyRules.MaxTtl}: unknown profile '{profile}'; use default, {string.Join(", ", PolicyRules.Profiles)}");
                        }

                        maxTtl[profile] = Duration(value, $"{PolicyRules.MaxTtl}.{profile}");
                    }
                }
            }

            return new IssuancePolicy(
                keyTypes,
                sizes,
                maxTtl,
                OptionalStrings(map, PolicyRules.SanDns, (n, v) => SubjectAlternativeName.IsDnsName(v.Replace("*", "x", StringComparison.Ordinal).Replace("?", "x", StringComparison.Ordinal))
                    ? v.ToLowerInvariant()
                    : throw Error(n, $"{PolicyRules.SanDns}: '{v}' is not a DNS name pattern (labels, '*' for one label)")),
                OptionalStrings(map, PolicyRules.SanUri, (n, v) => v.Contains(':', StringComparison.Ordinal)
                    ? v
                    : throw Error(n, $"{PolicyRules.SanUri}: '{v}' is not a URI pattern (for example spiffe://example.internal/ci/*)")),
                TryGet(map, PolicyRules.SanIp, out var ipNode)
                    ? Strings(ipNode, PolicyRules.SanIp, (n, v) => Network(n, v)).ToList()
                    : null,
                OptionalStrings(map, PolicyRules.SanEmail, (n, v) => v.Contains('@', StringComparison.Ordinal)
                    ? v
                    : throw Error(n, $"{PolicyRules.SanEmail}: '{v}' is not an email pattern (for example *@example.com)")),
                OptionalStrings(map, PolicyRules.EkuRequired, Eku) ?? [],
                OptionalStrings(map, PolicyRules.EkuForbidden, Eku) ?? [],
                TryGet(map, PolicyRules.SubjectName, out var subjectNode) ? Pattern(subjectNode) : null,
                TryGet(map, PolicyRules.CiIdentity, out var ciNode) ? CiIdentities(ciNode) : null);
        }

        private VerificationPolicy Verification(YamlNode node)
        {
            var map = Mapping(node, "verification");
            Keys(map, "verification", PolicyRules.TrustedRoots, PolicyRules.SignerIdentity, PolicyRules.MinRemaining, PolicyRules.Revocation, PolicyRules.SignatureAlgorithm);
            var revocation = RevocationRequirement.Unspecified;
            if (TryGet(map, PolicyRules.Revocation, out var revocationNode))
            {
                revocation = Scalar(revocationNode, PolicyRules.Revocation) switch
                {
                    "required" => RevocationRequirement.Required,
                    "soft-fail" => RevocationRequirement.SoftFail,
                    "off" => RevocationRequirement.Off,
                    var other => throw Error(revocationNode, $"{PolicyRules.Revocation}: '{other}' is not required, soft-fail or off"),
                };
            }

            var signers = new List<SignerIdentityRule>();
            if (TryGet(map, PolicyRules.SignerIdentity, out var signerNode))
            {
                foreach (var item in Sequence(signerNode, PolicyRules.SignerIdentity))
                {
                    var entry = Mapping(item, $"{PolicyRules.SignerIdentity} entry");
                    Keys(entry, $"{PolicyRules.SignerIdentity} entry", "artifact", "identity");
                    signers.Add(new SignerIdentityRule(
                        Required(entry, item, "artifact", PolicyRules.SignerIdentity),
                        Required(entry, item, "identity", PolicyRules.SignerIdentity)));
                }
            }

            return new VerificationPolicy(
                TryGet(map, PolicyRules.TrustedRoots, out var rootsNode) ? TrustedRoots(rootsNode) : null,
                signers,
                TryGet(map, PolicyRules.MinRemaining, out var remainingNode) ? Duration(remainingNode, PolicyRules.MinRemaining) : null,
                revocation,
                OptionalStrings(map, PolicyRules.SignatureAlgorithm, (n, v) => SignatureAlgorithms.Normalize(v)
                    ?? throw Error(n, $"{PolicyRules.SignatureAlgorithm}: unknown algorithm '{v}'; use {string.Join(", ", SignatureAlgorithms.Known)}")));
        }

        private List<CiIdentityRule> CiIdentities(YamlNode node)
        {
            var rules = new List<CiIdentityRule>();
            foreach (var item in Sequence(node, PolicyRules.CiIdentity))
            {
                var entry = Mapping(item, $"{PolicyRules.CiIdentity} entry");
                Keys(entry, $"{PolicyRules.CiIdentity} entry", "repository", "ref", "workflow", "profiles");
                if (!TryGet(entry, "profiles", out var profilesNode))
                {
                    throw Error(item, $"{PolicyRules.CiIdentity}: each entry needs 'profiles' (the profiles that identity may request)");
                }

                var profiles = Strings(profilesNode, $"{PolicyRules.CiIdentity}.profiles", (n, v) => PolicyRules.Profiles.Contains(v) || v == "*"
                    ? v
                    : throw Error(n, $"{PolicyRules.CiIdentity}.profiles: unknown profile '{v}'; use {string.Join(", ", PolicyRules.Profiles)} or *"));
                rules.Add(new CiIdentityRule(
                    TryGet(entry, "repository", out var r) ? Scalar(r, "repository") : null,
                    TryGet(entry, "ref", out var f) ? Scalar(f, "ref") : null,
                    TryGet(entry, "workflow", out var w) ? Scalar(w, "workflow") : null,
                    profiles));
            }

            return rules;
        }

        private List<string> TrustedRoots(YamlNode node)
        {
            var fingerprints = new List<string>();
            foreach (var item in Sequence(node, PolicyRules.TrustedRoots))
            {
                var value = Scalar(item, PolicyRules.TrustedRoots);
                if (value.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
                {
                    var hex = value[7..].Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
                    fingerprints.Add(hex.Length == 64 && hex.All(Uri.IsHexDigit)
                        ? hex
                        : throw Error(item, $"{PolicyRules.TrustedRoots}: '{value}' is not a SHA-256 fingerprint (sha256: and 64 hex digits)"));
                    continue;
                }

                var path = Path.IsPathRooted(value) ? value : Path.Combine(baseDirectory, value);
                try
                {
                    fingerprints.AddRange(PkiObjectReader.ReadCertificates(path).Select(c => CertificateDescriber.Fingerprint(c.GetEncoded())));
                }
                catch (BadInputException e)
                {
                    throw Error(item, $"{PolicyRules.TrustedRoots}: {e.Message.TrimEnd('.')}");
                }
            }

            return fingerprints;
        }

        private string Eku(YamlNode node, string value) =>
            PolicyRules.ExtendedKeyUsages.FirstOrDefault(e => string.Equals(e, value, StringComparison.OrdinalIgnoreCase))
            ?? throw Error(node, $"'{value}' is not an extended key usage; use {string.Join(", ", PolicyRules.ExtendedKeyUsages)}");

        private string Pattern(YamlNode node)
        {
            var value = Scalar(node, PolicyRules.SubjectName);
            try
            {
                _ = new Regex(value, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw Error(node, $"{PolicyRules.SubjectName}: '{value}' is not a regular expression ({e.Message})");
            }

            return value;
        }

        private IPNetwork Network(YamlNode node, string value)
        {
            var text = value.Contains('/', StringComparison.Ordinal) ? value
                : IPAddress.TryParse(value, out var single) ? $"{value}/{(single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}"
                : value;
            return IPNetwork.TryParse(text, out var network)
                ? network
                : throw Error(node, $"{PolicyRules.SanIp}: '{value}' is not an address range (CIDR, for example 10.0.0.0/8)");
        }

        private TimeSpan Duration(YamlNode node, string what)
        {
            var value = Scalar(node, what);
            return Durations.TryParse(value, out var span)
                ? span
                : throw Error(node, $"{what}: '{value}' is not a duration (90s, 15m, 24h, 7d)");
        }

        private string Required(YamlMappingNode map, YamlNode where, string key, string what) =>
            TryGet(map, key, out var node) ? Scalar(node, $"{what}.{key}") : throw Error(where, $"{what}: each entry needs '{key}'");

        private List<string>? OptionalStrings(YamlMappingNode map, string key, Func<YamlNode, string, string> check) =>
            TryGet(map, key, out var node) ? Strings(node, key, check) : null;

        /// <summary>A list of scalars; a single scalar counts as a one-item list.</summary>
        private List<T> Strings<T>(YamlNode node, string what, Func<YamlNode, string, T> check)
        {
            if (node is YamlScalarNode)
            {
                return [check(node, Scalar(node, what))];
            }

            return Sequence(node, what).Select(item => check(item, Scalar(item, what))).ToList();
        }

        private IEnumerable<YamlNode> Sequence(YamlNode node, string what) =>
            node is YamlSequenceNode sequence ? sequence.Children : throw Error(node, $"{what}: expected a list");

        private IEnumerable<(YamlNode Key, YamlNode Value)> Pairs(YamlNode node, string what) =>
            Mapping(node, what).Children.Select(p => (p.Key, p.Value));

        private YamlMappingNode Mapping(YamlNode node, string what) =>
            node as YamlMappingNode ?? throw Error(node, $"{what}: expected a mapping (key: value lines)");

        private string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { Length: > 0 } value } ? value : throw Error(node, $"{what}: expected a single value");

        private void Keys(YamlMappingNode map, string what, params string[] allowed)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = Scalar(key, what);
                if (!allowed.Contains(name))
                {
                    throw Error(key, $"unknown key '{name}' in {what}; allowed: {string.Join(", ", allowed)}");
                }
            }
        }

        private static bool TryGet(YamlMappingNode map, string key, out YamlNode value)
        {
            foreach (var pair in map.Children)
            {
                if (pair.Key is YamlScalarNode { Value: var name } && name == key)
                {
                    value = pair.Value;
                    return true;
                }
            }

            value = null!;
            return false;
        }
    }

    private static class Empty
    {
        public static readonly IssuancePolicy Issuance = new(null, new Dictionary<string, int>(), new Dictionary<string, TimeSpan>(), null, null, null, null, [], [], null, null);

        public static readonly VerificationPolicy Verification = new(null, [], null, RevocationRequirement.Unspecified, null);
    }
}

/// <summary>Signature algorithm names as <c>cert inspect</c> prints them, accepted case-insensitively in policies.</summary>
public static class SignatureAlgorithms
{
    public static readonly IReadOnlyList<string> Known =
    [
        "ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512",
        "sha256WithRSAEncryption", "sha384WithRSAEncryption", "sha512WithRSAEncryption", "rsassa-pss", "ed25519",
    ];

    public static string? Normalize(string name) => Known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
}
