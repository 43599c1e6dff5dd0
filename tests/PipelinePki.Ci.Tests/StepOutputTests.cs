using PipelinePki.Ci.Platforms;
using PipelinePki.Ci.Steps;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Signing;
using PipelinePki.Core.Validation;

namespace PipelinePki.Ci.Tests;

/// <summary>The output names are the contract the wrappers use: exactly these, camelCase, paths not keys.</summary>
public class StepOutputTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static IssueOutputs Issued(string? key = "/o/key.pem") =>
        new(new IssuedFiles("/o/cert.pem", "/o/chain.pem", "/o/fullchain.pem", "/o/root.pem", key), "CN=build", "7F00AA", Now.AddMinutes(-5), Now.AddHours(24), "ab12");

    [Fact]
    public void Issue_ContractNamesAndValues()
    {
        var outputs = Issued().Outputs.ToDictionary();
        Assert.Equal(["certPath", "keyPath", "chainPath", "fullchainPath", "rootPath", "serial", "notAfter", "fingerprint"], Issued().Outputs.Select(o => o.Key));
        Assert.Equal("/o/key.pem", outputs["keyPath"]);
        Assert.Equal("2026-12-03T12:00:00Z", outputs["notAfter"]);
        Assert.Equal(string.Empty, Issued(key: null).Outputs.ToDictionary()["keyPath"]);
    }

    [Fact]
    public void Renew_SameAsIssuePlusRenewed()
    {
        var renewed = new RenewOutputs(Issued(), Renewed: true);
        Assert.Equal([.. Issued().Outputs.Select(o => o.Key), "renewed"], renewed.Outputs.Select(o => o.Key));
        Assert.Equal("true", renewed.Outputs.ToDictionary()["renewed"]);
        Assert.Equal("false", new RenewOutputs(Issued(), Renewed: false).Outputs.ToDictionary()["renewed"]);
        Assert.Equal("certificate renewed", renewed.Summary!.Title);
    }

    [Fact]
    public void Issue_SummaryIsATableAndAMermaidGantt()
    {
        var markdown = SummaryRendering.Markdown(Issued().Summary!);
        Assert.Contains("| Subject | Serial | Not before | Not after | Certificate |", markdown, StringComparison.Ordinal);
        Assert.Contains("| CN=build | 7F00AA | 2026-12-02T11:55:00Z | 2026-12-03T12:00:00Z | /o/cert.pem |", markdown, StringComparison.Ordinal);
        Assert.Contains("```mermaid\ngantt\n", markdown, StringComparison.Ordinal);
        Assert.Contains("    dateFormat YYYY-MM-DD HH:mm\n", markdown, StringComparison.Ordinal);
        // ':' would end the task name in Mermaid's grammar.
        Assert.Contains("    CN=build 7F00AA : 2026-12-02 11:55, 2026-12-03 12:00\n", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_SignaturesAreEveryWrittenFile_ManifestOnlyWhenGiven()
    {
        SignedArtifact[] signed =
        [
            new("/d/a.tar", "/d/a.tar.p7s", "/d/a.tar.sigstore.json", "sha256", "00", Now),
            new("/d/b.tar", "/d/b.tar.p7s", null, "sha256", "11", null),
        ];
        var outputs = new SignOutputs(signed, null).Outputs.ToDictionary();
        Assert.Equal("/d/a.tar.p7s\n/d/a.tar.sigstore.json\n/d/b.tar.p7s", outputs["signatures"]);
        Assert.False(outputs.ContainsKey("manifestPath"));
        Assert.Equal("/d/SHA256SUMS", new SignOutputs(signed, "/d/SHA256SUMS").Outputs.ToDictionary()["manifestPath"]);
    }

    [Fact]
    public void Verify_OutcomeSignerSignedAt()
    {
        ArtifactVerificationOutcome Outcome(bool valid) => new("/d/a.tar", "/d/a.tar.p7s", valid, "CN=release", [], Now, [new CheckResult("signature", valid ? CheckStatus.Passed : CheckStatus.Failed, "x")]);
        var valid = new VerifyOutputs([Outcome(true)]).Outputs.ToDictionary();
        Assert.Equal(("valid", "CN=release", "2026-12-02T12:00:00Z"), (valid["outcome"], valid["signer"], valid["signedAt"]));
        Assert.Equal("not-valid", new VerifyOutputs([Outcome(true), Outcome(false)]).Outputs.ToDictionary()["outcome"]);
        Assert.Equal("not-valid", new VerifyOutputs([]).Outputs.ToDictionary()["outcome"]);
    }

    [Fact]
    public void Check_ExpiringCountsRowsInsideTheWiderMargin()
    {
        PreflightRow Row(string target, double hoursLeft, PreflightStatus status) =>
            new(target, "CN=" + target, "CN=ca", Now.AddHours(hoursLeft), hoursLeft / 24, status, []);
        var report = new PreflightReport([Row("a.pem", 10, PreflightStatus.Failed), Row("b.pem", 100, PreflightStatus.Warning), Row("c.pem", 1000, PreflightStatus.Ok)]);

        var outputs = new CheckOutputs(report, TimeSpan.FromHours(72), TimeSpan.FromDays(7), Now).Outputs.ToDictionary();
        Assert.Equal(("not-valid", "2"), (outputs["outcome"], outputs["expiring"]));
        var okReport = new PreflightReport([Row("c.pem", 1000, PreflightStatus.Ok)]);
        Assert.Equal(("valid", "0"), (new CheckOutputs(okReport, TimeSpan.FromHours(72), null, Now).Outputs.ToDictionary() is var ok ? (ok["outcome"], ok["expiring"]) : default));
    }

    [Fact]
    public void MtlsSetup_StateOutputEnvironment()
    {
        var step = new MtlsSetupOutputs("state", new Dictionary<string, string> { ["B"] = "2", ["A"] = "1" });
        Assert.Equal(Path.GetFullPath("state"), step.Outputs.Single(o => o.Key == "mtlsState").Value);
        Assert.Equal(Path.GetFullPath("state"), step.State.Single(o => o.Key == "mtls_state").Value);
        Assert.Equal(["A", "B"], step.Environment.Select(e => e.Key));
    }

    [Fact]
    public void NoStep_OutputsAKeyOrPemBody()
    {
        CiStepOutputs[] steps = [Issued(), new RenewOutputs(Issued(), true), new SignOutputs([new("/a", "/a.p7s", null, "sha256", "00", null)], null)];
        foreach (var value in steps.SelectMany(s => s.Outputs).Select(o => o.Value))
        {
            Assert.DoesNotContain("-----BEGIN", value, StringComparison.Ordinal);
        }
    }
}
