using PipelinePki.Core;
using PipelinePki.Core.Policy;
using PipelinePki.TestKit;

namespace PipelinePki.Governance.Tests;

public class PolicyParserTests
{
    /// <summary>Each case marks the offending spot with ⟦ ⟧; the error must name exactly that line and column.</summary>
    [Theory]
    [InlineData("version: ⟦2⟧\n", "not supported")]
    [InlineData("⟦issuance⟧: {}\n", "'version' is missing")]
    [InlineData("version: 1\n⟦colour⟧: blue\n", "unknown key 'colour'")]
    [InlineData("version: 1\nissuance:\n  ⟦key-typo⟧: [ecdsa-p384]\n", "unknown key 'key-typo'")]
    [InlineData("version: 1\nissuance:\n  key-type: [ecdsa-p384, ⟦dsa-1024⟧]\n", "unknown key type 'dsa-1024'")]
    [InlineData("version: 1\nissuance:\n  key-size: { ⟦dsa⟧: 1024 }\n", "not a key family")]
    [InlineData("version: 1\nissuance:\n  key-size: { rsa: ⟦big⟧ }\n", "not a number of bits")]
    [InlineData("version: 1\nissuance:\n  max-ttl:\n    default: 24h\n    code-signing: ⟦2x⟧\n", "not a duration")]
    [InlineData("version: 1\nissuance:\n  max-ttl: { ⟦build⟧: 1h }\n", "unknown profile 'build'")]
    [InlineData("version: 1\nissuance:\n  san-ip: [10.0.0.0/8, ⟦10.0.0.0/99⟧]\n", "not an address range")]
    [InlineData("version: 1\nissuance:\n  san-dns: [⟦bad_name!.example⟧]\n", "not a DNS name pattern")]
    [InlineData("version: 1\nissuance:\n  eku-required: [⟦anyThing⟧]\n", "not an extended key usage")]
    [InlineData("version: 1\nissuance:\n  subject-name: ⟦\"[unclosed\"⟧\n", "not a regular expression")]
    [InlineData("version: 1\nissuance:\n  ci-identity:\n    - ⟦repository⟧: acme/app\n", "needs 'profiles'")]
    [InlineData("version: 1\nissuance:\n  ci-identity:\n    - { repository: acme/app, profiles: [⟦admin⟧] }\n", "unknown profile 'admin'")]
    [InlineData("version: 1\nverification:\n  revocation: ⟦sometimes⟧\n", "not required, soft-fail or off")]
    [InlineData("version: 1\nverification:\n  signature-algorithm: [⟦md5WithRSAEncryption⟧]\n", "unknown algorithm")]
    [InlineData("version: 1\nverification:\n  trusted-roots: [⟦\"sha256:abcd\"⟧]\n", "not a SHA-256 fingerprint")]
    [InlineData("version: 1\nverification:\n  min-remaining: ⟦soon⟧\n", "not a duration")]
    [InlineData("version: 1\nverification:\n  signer-identity:\n    - ⟦artifact⟧: dist/*\n", "needs 'identity'")]
    [InlineData("version: 1\nverification: ⟦[1, 2]⟧\n", "expected a mapping")]
    [InlineData("version: 1\nissuance:\n  key-type: ⟦{ a: b }⟧\n", "expected a list")]
    public void Parse_Errors_NameFileLineAndColumn(string marked, string mentions)
    {
        var (text, line, column) = Locate(marked);
        var error = Assert.Throws<BadInputException>(() => PolicyParser.Parse(text, "policy.yaml"));
        Assert.StartsWith($"policy.yaml:{line}:{column}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(mentions, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Parse_BrokenYaml_NamesWhereTheParserStopped()
    {
        var error = Assert.Throws<BadInputException>(() => PolicyParser.Parse("version: 1\nissuance:\n  key-type: [ecdsa-p384\n  max-ttl: 1h\n", "p.yaml"));
        Assert.Matches(@"^p\.yaml:\d+:\d+: not valid YAML \(", error.Message);
        Assert.DoesNotContain("Idx:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void Parse_Empty_SaysHowToStart(string text)
    {
        var error = Assert.Throws<BadInputException>(() => PolicyParser.Parse(text, "empty.yaml"));
        Assert.Contains("empty.yaml:1:1: the policy is empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseFile_Missing_NamesTheFile()
    {
        var error = Assert.Throws<BadInputException>(() => PolicyParser.ParseFile("/nonexistent/policy.yaml"));
        Assert.Contains("/nonexistent/policy.yaml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FullDocument_ReadsEveryRule()
    {
        var policy = PolicyParser.Parse(Samples.Full, "full.yaml");
        var i = policy.Issuance;
        Assert.Equal(["ecdsa-p384", "ecdsa-p256"], i.KeyTypes);
        Assert.Equal(3072, i.MinKeySizes["rsa"]);
        Assert.Equal(TimeSpan.FromHours(1), i.MaxTtlFor("code-signing"));
        Assert.Equal(TimeSpan.FromHours(24), i.MaxTtlFor("mtls"));
        Assert.Equal(["*.ci.example.internal"], i.SanDns);
        Assert.Equal(["spiffe://example.internal/ci/*"], i.SanUri);
        Assert.Single(i.SanIp!);
        Assert.Equal(["*@example.com"], i.SanEmail);
        Assert.Equal(["clientAuth"], i.EkuRequired);
        Assert.Equal(["emailProtection"], i.EkuForbidden);
        Assert.Equal("build-[0-9]+", i.SubjectNamePattern);
        Assert.Equal(2, i.CiIdentities!.Count);
        Assert.Equal("refs/heads/main", i.CiIdentities[0].Ref);
        var v = policy.Verification;
        Assert.Single(v.TrustedRoots!);
        Assert.Equal("dist/**", v.SignerIdentities[0].Artifact);
        Assert.Equal(TimeSpan.FromHours(1), v.MinRemaining);
        Assert.Equal(RevocationRequirement.SoftFail, v.Revocation);
        Assert.Equal(["ecdsa-with-SHA384", "ecdsa-with-SHA256"], v.SignatureAlgorithms);
    }

    [Fact]
    public void MaxTtl_AsOneValue_IsTheDefault_AndAbsentMeans24Hours()
    {
        Assert.Equal(TimeSpan.FromHours(2), PolicyParser.Parse("version: 1\nissuance:\n  max-ttl: 2h\n", "x").Issuance.MaxTtlFor("server"));
        Assert.Equal(TimeSpan.FromHours(24), PolicyParser.Parse("version: 1\n", "x").Issuance.MaxTtlFor("server"));
    }

    [Fact]
    public void DefaultPolicy_ParsesAndNormalizedFormsRoundTrip()
    {
        Assert.Equal(DefaultPolicy.Source, DefaultPolicy.Document.Source);
        foreach (var policy in new[] { DefaultPolicy.Document, PolicyParser.Parse(Samples.Full, "full.yaml") })
        {
            var again = PolicyParser.Parse(DefaultPolicy.Normalize(policy), "normalized.yaml");
            Assert.Equal(DefaultPolicy.Normalize(policy).Split('\n').Skip(1), DefaultPolicy.Normalize(again).Split('\n').Skip(1));
        }
    }

    [Fact]
    public async Task TrustedRoots_FileRelativeToThePolicy_BecomesItsFingerprint()
    {
        using var temp = new TempDirectory();
        await ThrowawayCa.CreateAsync(temp.Combine("ca"), TimeProvider.System);
        File.Copy(temp.Combine("ca", "root.pem"), temp.Combine("root.pem"));
        var fingerprint = Core.Certificates.CertificateDescriber.Fingerprint(Core.Certificates.PkiObjectReader.ReadSingleCertificate(temp.Combine("root.pem")).GetEncoded());
        File.WriteAllText(temp.Combine("policy.yaml"), "version: 1\nverification:\n  trusted-roots: [root.pem]\n");
        var policy = PolicyParser.ParseFile(temp.Combine("policy.yaml"));
        Assert.Equal([fingerprint], policy.Verification.TrustedRoots);

        File.WriteAllText(temp.Combine("bad.yaml"), "version: 1\nverification:\n  trusted-roots: [missing.pem]\n");
        var error = Assert.Throws<BadInputException>(() => PolicyParser.ParseFile(temp.Combine("bad.yaml")));
        Assert.Contains("bad.yaml:3:19:", error.Message, StringComparison.Ordinal);
    }

    private static (string Text, int Line, int Column) Locate(string marked)
    {
        var at = marked.IndexOf('⟦', StringComparison.Ordinal);
        var before = marked[..at];
        var line = before.Count(c => c == '\n') + 1;
        var column = at - (before.LastIndexOf('\n') + 1) + 1;
        return (marked.Replace("⟦", string.Empty, StringComparison.Ordinal).Replace("⟧", string.Empty, StringComparison.Ordinal), line, column);
    }
}

internal static class Samples
{
    public const string Full = """
        version: 1
        issuance:
          key-type: [ecdsa-p384, ecdsa-p256]
          key-size: { rsa: 3072, ecdsa: 256 }
          max-ttl:
            default: 24h
            code-signing: 1h
          san-dns: ["*.ci.example.internal"]
          san-uri: ["spiffe://example.internal/ci/*"]
          san-ip: [10.0.0.0/8]
          san-email: ["*@example.com"]
          eku-required: [clientAuth]
          eku-forbidden: [emailProtection]
          subject-name: "build-[0-9]+"
          ci-identity:
            - { repository: "acme/*", ref: "refs/heads/main", workflow: "*release*", profiles: [code-signing] }
            - repository: "acme/*"
              profiles: [client, mtls]
        verification:
          trusted-roots: ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]
          signer-identity:
            - { artifact: "dist/**", identity: "spiffe://example.internal/ci/release*" }
          min-remaining: 1h
          revocation: soft-fail
          signature-algorithm: [ecdsa-with-SHA384, ecdsa-with-SHA256]
        """;
}
