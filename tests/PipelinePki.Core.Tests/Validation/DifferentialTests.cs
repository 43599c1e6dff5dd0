using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Pki;
using Xunit.Abstractions;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>
/// Differential tests: every scenario in <see cref="DifferentialScenarios"/> is generated afresh, judged by
/// <c>openssl verify</c> (OpenSSL 3.0) with equivalent flags, and by the engine with the equivalent
/// <see cref="VerifyRequest"/>. Both verdicts are asserted, and for failures the OpenSSL error and the engine's
/// failing check. Where OpenSSL deviates from RFC 5280 the scenario says so and the engine must follow the RFC.
/// </summary>
public class DifferentialTests(ITestOutputHelper output)
{
    public static TheoryData<string> StructureScenarios => Names(DifferentialScenarios.Structure);

    public static TheoryData<string> NameConstraintScenarios => Names(DifferentialScenarios.NameConstraints);

    public static TheoryData<string> PurposeAndNameScenarios => Names(DifferentialScenarios.PurposeAndNames);

    public static TheoryData<string> RevocationScenarios => Names(DifferentialScenarios.Revocation);

    public static TheoryData<string> PolicyScenarios => Names(DifferentialScenarios.Policies);

    public static TheoryData<string> PathBuildingScenarios => Names(DifferentialScenarios.PathBuilding);

    public static TheoryData<string> QuirkScenarios => Names(DifferentialScenarios.Quirks);

    [Theory]
    [MemberData(nameof(StructureScenarios))]
    public Task Verify_StructureScenario_AgreesWithOpenSsl(string scenario) => RunAsync(scenario);

    [Theory]
    [MemberData(nameof(NameConstraintScenarios))]
    public Task Verify_NameConstraintScenario_AgreesWithOpenSsl(string scenario) => RunAsync(scenario);

    [Theory]
    [MemberData(nameof(PurposeAndNameScenarios))]
    public Task Verify_PurposeOrNameScenario_AgreesWithOpenSsl(string scenario) => RunAsync(scenario);

    [Theory]
    [MemberData(nameof(RevocationScenarios))]
    public Task Verify_RevocationScenario_AgreesWithOpenSsl(string scenario) => RunAsync(scenario);

    [Theory]
    [MemberData(nameof(PolicyScenarios))]
    public Task Verify_PolicyScenario_AgreesWithOpenSsl(string scenario) => RunAsync(scenario);

    [Theory]
    [MemberData(nameof(PathBuildingScenarios))]
    public Task Verify_PathBuildingScenario_AgreesWithOpenSsl(string scenario) => RunAsync(scenario);

    /// <summary>OpenSSL's deviation is asserted too, so a quirk that OpenSSL fixes shows up here instead of rotting.</summary>
    [Theory]
    [MemberData(nameof(QuirkScenarios))]
    public Task Verify_OpenSslQuirkScenario_EngineFollowsRfc5280(string scenario) => RunAsync(scenario);

    [Fact]
    public void Catalogue_ScenarioNames_AreUniqueAndQuirksAreExplained()
    {
        var all = DifferentialScenarios.All.ToList();
        Assert.Equal(all.Count, all.Select(s => s.Name).Distinct(StringComparer.Ordinal).Count());
        foreach (var scenario in all)
        {
            var disagree = scenario.OpenSsl.Valid != scenario.Engine.Valid;
            Assert.True(!disagree || scenario.Quirk is not null, $"{scenario.Name}: OpenSSL and engine verdicts differ without an explanation");
            Assert.True(scenario.Engine.Valid || scenario.Engine.Check is not null, $"{scenario.Name}: a rejection must name the failing check");
            Assert.True(scenario.OpenSsl.Valid || scenario.OpenSsl.Error is not null, $"{scenario.Name}: an OpenSSL rejection must name its error");
        }
    }

    private static TheoryData<string> Names(IEnumerable<DifferentialScenario> scenarios) => new(scenarios.Select(s => s.Name));

    private async Task RunAsync(string name)
    {
        var scenario = DifferentialScenarios.Find(name);
        var pki = new TestPki();
        var input = scenario.Build(pki);
        using var temp = new TempDirectory();

        var arguments = OpenSslArguments(temp, pki, input);
        var openssl = await ProcessRunner.RunAsync("openssl", arguments);
        output.WriteLine($"openssl {string.Join(' ', arguments)}\n{openssl}");
        KeepFilesIfAsked(temp, name, arguments);

        var request = EngineRequest(pki, input);
        var outcome = await new CertificateVerifier(new FakeTimeProvider(request.At!.Value)).VerifyAsync(request, CancellationToken.None);
        output.WriteLine($"engine: {(outcome.IsValid ? "valid" : "invalid")}, {outcome.CandidatePaths} candidate path(s)");
        foreach (var check in outcome.Checks)
        {
            output.WriteLine($"  {check.Status,-7} {check.Check} @{check.PathIndex?.ToString(CultureInfo.InvariantCulture) ?? "-"}: {check.Detail}");
        }

        // Both sides are asserted before either fails, so one run shows the whole disagreement.
        var openSslProblem = Record.Exception(() => AssertOpenSsl(scenario, openssl));
        var engineProblem = Record.Exception(() => AssertEngine(scenario, input, outcome));
        if (openSslProblem is not null || engineProblem is not null)
        {
            Assert.Fail(string.Join("\n", new[] { openSslProblem?.Message, engineProblem?.Message }.Where(m => m is not null)));
        }
    }

    /// <summary>The <see cref="VerifyRequest"/> equivalent to <see cref="OpenSslArguments"/>.</summary>
    public static VerifyRequest EngineRequest(TestPki pki, ScenarioInput input) =>
        new(
            input.Leaf.Certificate,
            input.Anchors.Select(c => c.Certificate).ToList(),
            input.Untrusted.Select(c => c.Certificate).ToList(),
            input.Crls.Select(c => c.Crl).ToList(),
            At: input.At ?? pki.Now,
            Purpose: input.Purpose,
            Names: input.Names,
            Revocation: input.Crls.Count > 0 ? RevocationMode.Crl : RevocationMode.None,
            SoftFail: false,
            Policy: input.Policy);

    private static void AssertEngine(DifferentialScenario scenario, ScenarioInput input, VerificationOutcome outcome)
    {
        var expected = scenario.Engine;
        var failures = outcome.Failures.ToList();
        var described = failures.Count == 0
            ? "no failed check"
            : string.Join("; ", failures.Select(f => $"{f.Check}@{f.PathIndex?.ToString(CultureInfo.InvariantCulture) ?? "-"}: {f.Detail}"));
        Assert.True(outcome.IsValid == (failures.Count == 0), $"{scenario.Name}: IsValid={outcome.IsValid} contradicts the checks ({described})");

        if (expected.Valid)
        {
            Assert.True(outcome.IsValid, $"{scenario.Name}: engine should accept (OpenSSL: {scenario.OpenSsl}), but: {described}");
            if (input.ExpectedPath is { } path)
            {
                var want = path.Select(c => CertificateDescriber.Describe(c.Certificate).Sha256Fingerprint).ToList();
                var got = outcome.Path.Select(c => c.Sha256Fingerprint).ToList();
                Assert.True(
                    want.SequenceEqual(got),
                    $"{scenario.Name}: engine chose {string.Join(" <- ", outcome.Path.Select(c => $"{c.Subject} #{c.Serial}"))}, "
                    + $"expected {string.Join(" <- ", path.Select(c => $"{c.Label} #{c.Serial}"))}");
            }

            return;
        }

        Assert.False(outcome.IsValid, $"{scenario.Name}: engine should reject with {expected} (OpenSSL: {scenario.OpenSsl}), but it accepted");
        Assert.True(
            failures.Any(f => f.Check == expected.Check && (expected.PathIndex is null || f.PathIndex == expected.PathIndex)),
            $"{scenario.Name}: engine should fail {expected}, but failed: {described}");
    }

    /// <summary>DIFFERENTIAL_KEEP=/some/dir keeps each scenario's PEM files and openssl command there, for debugging by hand.</summary>
    private static void KeepFilesIfAsked(TempDirectory temp, string name, IReadOnlyList<string> arguments)
    {
        var keep = Environment.GetEnvironmentVariable("DIFFERENTIAL_KEEP");
        if (string.IsNullOrEmpty(keep))
        {
            return;
        }

        var target = Path.Combine(keep, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(temp.Path))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        File.WriteAllText(Path.Combine(target, "command.sh"), "openssl " + string.Join(' ', arguments.Select(a => a.Replace(temp.Path, ".", StringComparison.Ordinal))) + "\n");
    }

    /// <summary>The <c>openssl verify</c> command equivalent to the scenario's <see cref="VerifyRequest"/>.</summary>
    public static IReadOnlyList<string> OpenSslArguments(TempDirectory temp, TestPki pki, ScenarioInput input)
    {
        var at = input.At ?? pki.Now;
        var arguments = new List<string> { "verify" };
        if (input.Strict)
        {
            arguments.Add("-x509_strict");
        }

        arguments.AddRange(["-no-CApath", "-no-CAstore", "-CAfile", TestPki.WriteBundle(temp, "anchors.pem", input.Anchors)]);
        if (input.Untrusted.Count > 0)
        {
            arguments.AddRange(["-untrusted", TestPki.WriteBundle(temp, "untrusted.pem", input.Untrusted)]);
        }

        arguments.AddRange(["-attime", at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)]);

        if (input.Crls.Count > 0)
        {
            var crlFile = temp.Combine("crls.pem");
            File.WriteAllText(crlFile, string.Concat(input.Crls.Select(c => c.ToPem())));
            arguments.AddRange(["-crl_check_all", "-CRLfile", crlFile]);
        }

        switch (input.Purpose)
        {
            case CertificatePurpose.Server:
                arguments.AddRange(["-purpose", "sslserver"]);
                break;
            case CertificatePurpose.Client:
                arguments.AddRange(["-purpose", "sslclient"]);
                break;
            case CertificatePurpose.TimeStamping:
                arguments.AddRange(["-purpose", "timestampsign"]);
                break;
            case CertificatePurpose.Any:
                break;
            default:
                throw new NotSupportedException($"OpenSSL 3.0 has no -purpose for {input.Purpose}");
        }

        if (input.Names is { } names)
        {
            if (names.Host is not null)
            {
                arguments.AddRange(["-verify_hostname", names.Host]);
            }

            if (names.IpAddress is not null)
            {
                arguments.AddRange(["-verify_ip", names.IpAddress]);
            }

            if (names.Email is not null)
            {
                arguments.AddRange(["-verify_email", names.Email]);
            }
        }

        if (input.PolicyCheck)
        {
            arguments.Add("-policy_check");
        }

        var policy = input.Policy ?? PolicyOptions.Default;
        if (input.PolicyCheck)
        {
            if (input.PassUserPolicySet)
            {
                foreach (var oid in policy.InitialPolicies)
                {
                    arguments.AddRange(["-policy", oid]);
                }
            }

            if (policy.RequireExplicitPolicy)
            {
                arguments.Add("-explicit_policy");
            }

            if (policy.InhibitPolicyMapping)
            {
                arguments.Add("-inhibit_map");
            }

            if (policy.InhibitAnyPolicy)
            {
                arguments.Add("-inhibit_any");
            }
        }

        arguments.AddRange(input.OpenSslFlags);
        arguments.Add(input.Leaf.WritePem(temp, "leaf-under-test.pem"));
        return arguments;
    }

    /// <summary>The installed OpenSSL's version (3.0.22 from "OpenSSL 3.0.22 25 Aug 2026 ..."): some quirks are fixed in later patch releases.</summary>
    private static readonly Lazy<Version> InstalledOpenSsl = new(() =>
    {
        var result = ProcessRunner.RunAsync("openssl", ["version"]).GetAwaiter().GetResult();
        var match = System.Text.RegularExpressions.Regex.Match(result.StandardOutput, @"OpenSSL (\d+\.\d+\.\d+)");
        Assert.True(match.Success, $"cannot read the OpenSSL version from: {result.StandardOutput}");
        return Version.Parse(match.Groups[1].Value);
    });

    private static void AssertOpenSsl(DifferentialScenario scenario, ProcessResult result)
    {
        var expected = scenario.ExpectedFrom(InstalledOpenSsl.Value);
        if (expected.Valid)
        {
            Assert.True(
                result.ExitCode == 0 && result.StandardOutput.Contains(": OK", StringComparison.Ordinal),
                $"{scenario.Name}: expected openssl to accept, got {result}");
            Assert.True(
                expected.Error is null || result.Combined.Contains(expected.Error, StringComparison.Ordinal),
                $"{scenario.Name}: expected openssl to print \"{expected.Error}\" while accepting, got {result}");
            return;
        }

        Assert.True(result.ExitCode != 0, $"{scenario.Name}: expected openssl to reject with {expected}, got {result}");
        var needle = expected.Depth is { } depth
            ? $"at {depth.ToString(CultureInfo.InvariantCulture)} depth lookup: {expected.Error}"
            : $"depth lookup: {expected.Error}";
        Assert.True(result.Combined.Contains(needle, StringComparison.Ordinal), $"{scenario.Name}: expected openssl error \"{needle}\", got {result}");
    }
}
