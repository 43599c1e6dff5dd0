using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Policy;
using PipelinePki.Core.Validation;
using PipelinePki.TestKit;

namespace PipelinePki.Governance.Tests;

/// <summary>Every issuance rule with a request it allows and one it refuses.</summary>
public class IssuanceRuleTests
{
    private static readonly Requester Main = new("github", "acme/app", "7", "abc", "dev", "acme/app/.github/workflows/release.yml@refs/heads/main", "refs/heads/main");

    public static TheoryData<string, string, string, bool> Cases => new()
    {
        // rule, policy body (under issuance:), request as "name|profile|keyType|ttl|san,san", allowed?
        { PolicyRules.KeyType, "key-type: [ecdsa-p384]", "build-1|mtls|ecdsa-p384|24h|", true },
        { PolicyRules.KeyType, "key-type: [ecdsa-p384]", "build-1|mtls|rsa-3072|24h|", false },
        { PolicyRules.KeySize, "key-size: { rsa: 3072 }", "build-1|mtls|rsa-4096|24h|", true },
        { PolicyRules.KeySize, "key-size: { rsa: 4096 }", "build-1|mtls|rsa-3072|24h|", false },
        { PolicyRules.KeySize, "key-size: { ecdsa: 384 }", "build-1|mtls|ecdsa-p256|24h|", false },
        { PolicyRules.MaxTtl, "max-ttl: { default: 24h, code-signing: 1h }", "build-1|code-signing|ecdsa-p384|1h|", true },
        { PolicyRules.MaxTtl, "max-ttl: { default: 24h, code-signing: 1h }", "build-1|code-signing|ecdsa-p384|2h|", false },
        { PolicyRules.MaxTtl, "key-type: [ecdsa-p384]", "build-1|mtls|ecdsa-p384|25h|", false },
        { PolicyRules.SanDns, "san-dns: [\"*.ci.example.internal\"]", "build-1|mtls|ecdsa-p384|24h|dns:a.ci.example.internal", true },
        { PolicyRules.SanDns, "san-dns: [\"*.ci.example.internal\"]", "build-1|mtls|ecdsa-p384|24h|dns:a.b.ci.example.internal", false },
        { PolicyRules.SanDns, "san-dns: [\"*.ci.example.internal\"]", "build-1|mtls|ecdsa-p384|24h|dns:ci.example.com", false },
        { PolicyRules.SanUri, "san-uri: [\"spiffe://example.internal/ci/*\"]", "build-1|mtls|ecdsa-p384|24h|uri:spiffe://example.internal/ci/app/build", true },
        { PolicyRules.SanUri, "san-uri: [\"spiffe://example.internal/ci/*\"]", "build-1|mtls|ecdsa-p384|24h|uri:spiffe://example.internal/prod/db", false },
        { PolicyRules.SanIp, "san-ip: [10.0.0.0/8, \"fd00::/8\"]", "build-1|mtls|ecdsa-p384|24h|ip:10.20.30.40", true },
        { PolicyRules.SanIp, "san-ip: [10.0.0.0/8]", "build-1|mtls|ecdsa-p384|24h|ip:192.168.1.1", false },
        { PolicyRules.SanEmail, "san-email: [\"*@example.com\"]", "build-1|client|ecdsa-p384|24h|email:ci@example.com", true },
        { PolicyRules.SanEmail, "san-email: [\"*@example.com\"]", "build-1|client|ecdsa-p384|24h|email:ci@evil.example", false },
        { PolicyRules.EkuRequired, "eku-required: [clientAuth]", "build-1|mtls|ecdsa-p384|24h|", true },
        { PolicyRules.EkuRequired, "eku-required: [clientAuth]", "build-1|server|ecdsa-p384|24h|", false },
        { PolicyRules.EkuForbidden, "eku-forbidden: [serverAuth]", "build-1|client|ecdsa-p384|24h|", true },
        { PolicyRules.EkuForbidden, "eku-forbidden: [serverAuth]", "build-1|mtls|ecdsa-p384|24h|", false },
        { PolicyRules.SubjectName, "subject-name: \"build-[0-9]+\"", "build-42|mtls|ecdsa-p384|24h|", true },
        { PolicyRules.SubjectName, "subject-name: \"build-[0-9]+\"", "build-42-evil|mtls|ecdsa-p384|24h|", false },
        { PolicyRules.CiIdentity, "ci-identity: [{ repository: \"acme/*\", ref: refs/heads/main, profiles: [code-signing] }]", "build-1|code-signing|ecdsa-p384|1h|", true },
        { PolicyRules.CiIdentity, "ci-identity: [{ repository: \"acme/*\", ref: refs/heads/main, profiles: [client] }]", "build-1|code-signing|ecdsa-p384|1h|", false },
        { PolicyRules.CiIdentity, "ci-identity: [{ repository: \"other/*\", profiles: [\"*\"] }]", "build-1|mtls|ecdsa-p384|1h|", false },
        { PolicyRules.CiIdentity, "ci-identity: [{ workflow: \"*release.yml@refs/heads/main\", profiles: [\"*\"] }]", "build-1|mtls|ecdsa-p384|1h|", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rule_AllowsOrRefuses(string rule, string body, string request, bool allowed)
    {
        var policy = PolicyParser.Parse($"version: 1\nissuance:\n  {body}\n", "policy.yaml");
        var issue = Request(request);
        var evaluation = PolicyGate.CheckIssuance(policy, issue);
        var result = evaluation.Results.Single(r => r.Rule == rule);
        Assert.Equal(allowed ? PolicyRuleStatus.Passed : PolicyRuleStatus.Failed, result.Status);
        if (allowed)
        {
            evaluation.ThrowIfViolated();
        }
        else
        {
            var refusal = Assert.Throws<PolicyViolationException>(evaluation.ThrowIfViolated);
            Assert.Equal(rule, refusal.Rule);
            Assert.Contains($"[{rule}]", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("policy.yaml", refusal.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EmptyPolicy_AllowsAnything_Within24Hours()
    {
        var policy = PolicyParser.Parse("version: 1\n", "p");
        var evaluation = PolicyGate.CheckIssuance(policy, Request("x|server|rsa-3072|24h|dns:anything.example,ip:8.8.8.8"));
        Assert.True(evaluation.Passed);
        Assert.Equal(PolicyRuleStatus.Passed, evaluation.Results.Single(r => r.Rule == PolicyRules.MaxTtl).Status);
        Assert.All(evaluation.Results.Where(r => r.Rule != PolicyRules.MaxTtl), r => Assert.Equal(PolicyRuleStatus.NotApplicable, r.Status));
    }

    [Fact]
    public async Task Csr_KeyTypeAndNamesComeFromTheCsr_NotTheOptions()
    {
        using var temp = new TempDirectory();
        var made = await OpenSsl.RunAsync("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", temp.Combine("k.pem"), "-out", temp.Combine("r.csr"),
            "-subj", "/CN=from-csr", "-addext", "subjectAltName=DNS:evil.example.com");
        Assert.True(made.ExitCode == 0, made.ToString());
        var request = new IssueRequest(string.Empty, [], CertificateProfile.Server, TimeSpan.FromHours(1), KeySpec.EcdsaP384, Main,
            new CertificationRequestInput(File.ReadAllBytes(temp.Combine("r.csr")), "r.csr"));
        var policy = PolicyParser.Parse("version: 1\nissuance:\n  key-type: [ecdsa-p384]\n  san-dns: [\"*.example.internal\"]\n  subject-name: \"from-csr\"\n", "p");
        var evaluation = PolicyGate.CheckIssuance(policy, request);
        Assert.Equal(PolicyRuleStatus.Failed, evaluation.Results.Single(r => r.Rule == PolicyRules.KeyType).Status);
        Assert.Contains("rsa-2048", evaluation.Results.Single(r => r.Rule == PolicyRules.KeyType).Detail, StringComparison.Ordinal);
        Assert.Equal(PolicyRuleStatus.Failed, evaluation.Results.Single(r => r.Rule == PolicyRules.SanDns).Status);
        Assert.Equal(PolicyRuleStatus.Passed, evaluation.Results.Single(r => r.Rule == PolicyRules.SubjectName).Status);
    }

    [Fact]
    public async Task IssuedCertificate_JudgedByIssuanceRules_LifetimeWithoutBackdating()
    {
        using var temp = new TempDirectory();
        var ca = await ThrowawayCa.CreateAsync(temp.Path, TimeProvider.System);
        using var issued = await ca.IssueAsync(ThrowawayCa.Request("build-7", CertificateProfile.Server, lifetime: TimeSpan.FromHours(24), sans: "dns:build-7.ci.example.internal"), CancellationToken.None);
        var info = CertificateDescriber.Describe(PkiObjectReader.ParseCertificate(issued.Certificate.RawData, "leaf"));
        var facts = IssuanceFacts.FromCertificate(info);
        Assert.Equal("server", facts.Profile);
        Assert.Equal("build-7", facts.CommonName);
        var ok = PolicyEvaluator.EvaluateIssuance(PolicyParser.Parse("version: 1\nissuance:\n  max-ttl: 24h\n  san-dns: [\"*.ci.example.internal\"]\n", "p"), facts, "leaf");
        Assert.True(ok.Passed, string.Join("; ", ok.Violations.Select(v => v.Detail)));
        var tooLong = PolicyEvaluator.EvaluateIssuance(PolicyParser.Parse("version: 1\nissuance:\n  max-ttl: 12h\n", "p"), facts, "leaf");
        Assert.Equal(PolicyRules.MaxTtl, Assert.Single(tooLong.Violations).Rule);
        Assert.Equal(PolicyRuleStatus.NotApplicable, ok.Results.Single(r => r.Rule == PolicyRules.CiIdentity).Status);
    }

    private static IssueRequest Request(string spec)
    {
        var parts = spec.Split('|');
        var sans = parts[4].Length == 0 ? [] : parts[4].Split(',').Select(SubjectAlternativeName.Parse).ToList();
        return new IssueRequest(parts[0], sans, CertificateProfiles.Parse(parts[1]), Durations.Parse(parts[3], "ttl"), KeySpec.Parse(parts[2]), Main);
    }
}

/// <summary>Every verification rule on real certificates from a throwaway CA, judged on the path our engine builds.</summary>
public class VerificationRuleTests : IAsyncLifetime
{
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);
    private LocalAuthority ca = null!;
    private Org.BouncyCastle.X509.X509Certificate root = null!;
    private Org.BouncyCastle.X509.X509Certificate intermediate = null!;
    private Org.BouncyCastle.X509.X509Certificate leaf = null!;
    private Org.BouncyCastle.X509.X509Certificate signer = null!;

    public async Task InitializeAsync()
    {
        ca = await ThrowawayCa.CreateAsync(temp.Combine("ca"), time);
        root = PkiObjectReader.ReadSingleCertificate(temp.Combine("ca", "root.pem"));
        intermediate = PkiObjectReader.ReadSingleCertificate(temp.Combine("ca", "intermediate.pem"));
        using (var issued = await ca.IssueAsync(ThrowawayCa.Request("svc", CertificateProfile.Server, sans: "dns:svc.ci.example.internal"), CancellationToken.None))
        {
            leaf = PkiObjectReader.ParseCertificate(issued.Certificate.RawData, "leaf");
        }

        using (var issued = await ca.IssueAsync(ThrowawayCa.Request("release", CertificateProfile.CodeSigning, lifetime: TimeSpan.FromHours(1), sans: "uri:spiffe://example.internal/ci/release"), CancellationToken.None))
        {
            signer = PkiObjectReader.ParseCertificate(issued.Certificate.RawData, "signer");
        }
    }

    public Task DisposeAsync()
    {
        temp.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TrustedRoots_AnchorMustBeListed()
    {
        var fingerprint = CertificateDescriber.Fingerprint(root.GetEncoded());
        Assert.Equal(PolicyRuleStatus.Passed, (await Judge($"trusted-roots: [\"sha256:{fingerprint}\"]", leaf)).Status);
        var other = await Judge($"trusted-roots: [\"sha256:{new string('A', 64)}\"]", leaf);
        Assert.Equal(PolicyRuleStatus.Failed, other.Status);
        Assert.Contains("not among the policy's trusted roots", other.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MinRemaining_LeafMustLastLongEnough()
    {
        Assert.Equal(PolicyRuleStatus.Passed, (await Judge("min-remaining: 12h", leaf)).Status);
        var failed = await Judge("min-remaining: 48h", leaf);
        Assert.Equal(PolicyRuleStatus.Failed, failed.Status);
        Assert.Contains("renew", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignatureAlgorithm_EveryCertificateBelowTheAnchor()
    {
        Assert.Equal(PolicyRuleStatus.Passed, (await Judge("signature-algorithm: [ecdsa-with-SHA384]", leaf)).Status);
        var failed = await Judge("signature-algorithm: [sha256WithRSAEncryption]", leaf);
        Assert.Equal(PolicyRuleStatus.Failed, failed.Status);
        Assert.Contains("ecdsa-with-SHA384", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_RequiredRefusesSoftFailAndMissingSources()
    {
        Assert.Equal(PolicyRuleStatus.Passed, (await Judge("revocation: required", leaf, new RevocationChecking(true, false))).Status);
        Assert.Equal(PolicyRuleStatus.Failed, (await Judge("revocation: required", leaf, new RevocationChecking(true, true))).Status);
        Assert.Equal(PolicyRuleStatus.Failed, (await Judge("revocation: required", leaf, new RevocationChecking(false, false))).Status);
        Assert.Equal(PolicyRuleStatus.Passed, (await Judge("revocation: soft-fail", leaf, new RevocationChecking(true, true))).Status);

        // On its own (policy test), a certificate without a CRL distribution point or OCSP URL cannot meet "required".
        var alone = await Judge("revocation: required", leaf);
        Assert.Equal(PolicyRuleStatus.Failed, alone.Status);
        Assert.Contains("no CRL distribution point", alone.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Revocation_PolicyAdjustsTheCommandsMode_ButNeverWeakensRequired()
    {
        Assert.Equal((RevocationMode.None, false), PolicyGate.Revocation(PolicyParser.Parse("version: 1\nverification:\n  revocation: off\n", "p"), RevocationMode.Auto, false));
        Assert.Equal((RevocationMode.Auto, true), PolicyGate.Revocation(PolicyParser.Parse("version: 1\nverification:\n  revocation: soft-fail\n", "p"), RevocationMode.None, false));
        Assert.Equal((RevocationMode.None, true), PolicyGate.Revocation(PolicyParser.Parse("version: 1\nverification:\n  revocation: required\n", "p"), RevocationMode.None, true));
    }

    [Fact]
    public void SignerIdentity_ArtifactGlobSelectsTheRule()
    {
        var policy = PolicyParser.Parse("version: 1\nverification:\n  signer-identity:\n    - { artifact: \"dist/**\", identity: \"spiffe://example.internal/ci/release*\" }\n    - { artifact: \"*.sbom.json\", identity: \"spiffe://example.internal/ci/sbom\" }\n", "p");
        var info = CertificateDescriber.Describe(signer);
        PolicyRuleResult Rule(string artifact) => PolicyEvaluator.EvaluateVerification(policy, new VerificationFacts(info, [info], time.GetUtcNow(), artifact), artifact)
            .Results.Single(r => r.Rule == PolicyRules.SignerIdentity);
        Assert.Equal(PolicyRuleStatus.Passed, Rule("dist/linux/app.tar.gz").Status);
        var wrong = Rule("out/app.sbom.json");
        Assert.Equal(PolicyRuleStatus.Failed, wrong.Status);
        Assert.Contains("spiffe://example.internal/ci/sbom", wrong.Detail, StringComparison.Ordinal);
        Assert.Equal(PolicyRuleStatus.NotApplicable, Rule("README.md").Status);
    }

    [Fact]
    public void Globs_DnsStarIsOneLabel_UriStarIsAPrefix_PathDoubleStarCrossesFolders()
    {
        Assert.True(Glob.IsMatch("*.ci.example.internal", "A.ci.example.internal", Glob.Kind.Dns));
        Assert.False(Glob.IsMatch("*.ci.example.internal", "a.b.ci.example.internal", Glob.Kind.Dns));
        Assert.True(Glob.IsMatch("spiffe://x/ci/*", "spiffe://x/ci/a/b", Glob.Kind.Anything));
        Assert.False(Glob.IsMatch("spiffe://x/ci/*", "spiffe://x/cd/a", Glob.Kind.Anything));
        Assert.True(Glob.IsMatch("dist/**", "dist/a/b.tgz", Glob.Kind.Path));
        Assert.False(Glob.IsMatch("dist/*", "dist/a/b.tgz", Glob.Kind.Path));
        Assert.False(Glob.IsMatch("a.b", "axb", Glob.Kind.Anything));
    }

    private async Task<PolicyRuleResult> Judge(string rule, Org.BouncyCastle.X509.X509Certificate certificate, RevocationChecking? revocation = null)
    {
        var policy = PolicyParser.Parse($"version: 1\nverification:\n  {rule}\n", "policy.yaml");
        var gate = new PolicyGate(new CertificateVerifier(time), time);
        var evaluation = await gate.CheckCertificateAsync(policy, certificate, [root], [intermediate], null, revocation, "leaf", CancellationToken.None);
        var name = rule[..rule.IndexOf(':', StringComparison.Ordinal)];
        return evaluation.Results.Single(r => r.Rule == name);
    }
}
