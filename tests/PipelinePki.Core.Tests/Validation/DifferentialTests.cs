using System.Globalization;
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
        AssertOpenSsl(scenario, openssl);
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

    private static void AssertOpenSsl(DifferentialScenario scenario, ProcessResult result)
    {
        var expected = scenario.OpenSsl;
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
