using System.Text.Json;
using PipelinePki.Cli.Output;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation;

namespace PipelinePki.Cli.Tests;

/// <summary>The hand-written <c>cert verify</c> JSON is the generated contract, byte for byte.</summary>
public sealed class VerificationJsonTests
{
    private static CertificateInfo Certificate(string subject, int? pathLength, string? ski, IReadOnlyList<string> sans) => new(
        subject,
        "CN=Issuing CA <ünïcode & \"quotes\"> +1",
        "0A1B2C",
        new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.FromHours(2)),
        "ecdsa-p384",
        "ecdsa-with-SHA384",
        sans,
        pathLength is not null,
        pathLength,
        ["digitalSignature", "keyCertSign"],
        [],
        ski,
        null,
        ["http://crl.example/ca.crl"],
        [],
        ["dns:.example.com"],
        SelfSigned: false,
        "AB12");

    public static TheoryData<VerificationOutcome> Outcomes() => new()
    {
        new VerificationOutcome(
            true,
            [Certificate("CN=leaf", null, "01", ["dns:leaf.example", "ip:10.0.0.1"]), Certificate("CN=root\ttab\nline", 1, null, [])],
            [new CheckResult(CheckNames.Signature, CheckStatus.Passed, "ok", 0, "CN=leaf"), new CheckResult(CheckNames.Revocation, CheckStatus.Skipped, "disabled")],
            3,
            [PolicyOptions.AnyPolicy]),
        new VerificationOutcome(
            false,
            [Certificate("CN=leaf", 0, "02", [])],
            [
                new CheckResult(CheckNames.Validity, CheckStatus.Failed, "expired 2026-01-01 — '<script>'", 0, null),
                new CheckResult(CheckNames.Revocation, CheckStatus.Warning, "soft-fail: unreachable", 1, "CN=x"),
            ],
            1,
            []),
        new VerificationOutcome(false, [], [], 0, []),
    };

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void SameBytesAsTheSourceGeneratedSerializer(VerificationOutcome outcome)
    {
        var generated = JsonSerializer.Serialize(outcome, CliJson.Default.VerificationOutcome);

        Assert.Equal(generated, VerificationJson.Serialize(outcome));
    }
}
