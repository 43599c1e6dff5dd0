using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Policy;

namespace PipelinePki.Cli.Commands;

public sealed record PolicyValidateOutput(string Policy, bool Valid, int IssuanceRules, int VerificationRules);

public sealed record PolicyTestOutput(string Policy, bool Passed, IReadOnlyList<PolicyEvaluation> Evaluations);

/// <summary><c>policy validate|show|test</c>: policy as code, checked and explained before a pipeline relies on it.</summary>
internal static class PolicyCommands
{
    public static Command Create(CliApp app)
    {
        var policy = new Command("policy", "Policy as code: validate a policy file, show the effective rules, explain a verdict rule by rule.");
        app.AddSubcommands(
            policy,
            depth: 1,
            ("validate", Validate),
            ("show", Show),
            ("test", Test));
        return policy;
    }

    private static Command Validate(CliApp app)
    {
        var file = new Argument<string?>("file") { Description = "The policy file (default: --policy, then $PIPELINE_PKI_POLICY).", Arity = ArgumentArity.ZeroOrOne };
        var policyOption = GovernanceKit.PolicyOption();
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("validate", "Check a policy file; errors name FILE:line:column (exit 3).") { file, policyOption, format };
        command.SetAction(parse =>
        {
            var document = GovernanceKit.LoadPolicy(app, parse.GetValue(file) ?? parse.GetValue(policyOption))
                ?? throw new UsageException($"give the policy file: policy validate FILE, --policy FILE or ${GovernanceKit.PolicyVariable}.");
            var i = document.Issuance;
            var issuanceRules = new object?[] { i.KeyTypes, i.SanDns, i.SanUri, i.SanIp, i.SanEmail, i.SubjectNamePattern, i.CiIdentities }.Count(r => r is not null)
                + new[] { i.MinKeySizes.Count, i.MaxTtl.Count, i.EkuRequired.Count, i.EkuForbidden.Count }.Count(c => c > 0);
            var v = document.Verification;
            var verificationRules = (v.TrustedRoots is null ? 0 : 1) + (v.SignerIdentities.Count > 0 ? 1 : 0) + (v.MinRemaining is null ? 0 : 1)
                + (v.Revocation == RevocationRequirement.Unspecified ? 0 : 1) + (v.SignatureAlgorithms is null ? 0 : 1);
            var output = new PolicyValidateOutput(Path.GetFullPath(document.Source), true, issuanceRules, verificationRules);
            CommandKit.Render(app, parse.GetValue(format), output, () => GovernanceJson.Default.PolicyValidateOutput,
                (w, o) => w.WriteLine($"{o.Policy}: valid (version {PolicyParser.SupportedVersion}; {o.IssuanceRules} issuance and {o.VerificationRules} verification rules set)."));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliApp app)
    {
        var policyOption = GovernanceKit.PolicyOption();
        var command = new Command("show", "Print the built-in default policy, or the effective rules of --policy FILE (defaults filled in).") { policyOption };
        command.SetAction(parse =>
        {
            var document = GovernanceKit.LoadPolicy(app, parse.GetValue(policyOption));
            app.Output.Write(document is null ? DefaultPolicy.Text + Environment.NewLine : DefaultPolicy.Normalize(document));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Test(CliApp app)
    {
        var targets = new Argument<string[]>("targets") { Description = "Certificates (PEM/DER) or artifacts (with FILE.p7s beside them).", Arity = ArgumentArity.OneOrMore };
        var policyOption = GovernanceKit.PolicyOption();
        var trust = new Option<string[]>("--trust") { Description = "Trust anchors, so trusted-roots and signature-algorithm can judge the whole path.", AllowMultipleArgumentsPerToken = true };
        var untrusted = new Option<string[]>("--untrusted") { Description = "Intermediates that help build the path.", AllowMultipleArgumentsPerToken = true };
        var signature = new Option<string?>("--signature") { Description = "The signature of a single artifact, when it is not FILE.p7s." };
        var at = new Option<string?>("--at") { Description = "Judge at this time (ISO 8601) instead of now." };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("test", "Explain, rule by rule, whether certificates or signed artifacts satisfy the policy. Exit 0 all pass, 5 a rule fails.")
        {
            targets, policyOption, trust, untrusted, signature, at, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var document = GovernanceKit.LoadPolicy(app, parse.GetValue(policyOption)) ?? DefaultPolicy.Document;
            var files = parse.GetValue(targets)!;
            if (parse.GetValue(signature) is not null && files.Length != 1)
            {
                throw new UsageException("--signature belongs to one artifact; give exactly one target with it.");
            }

            var anchors = (parse.GetValue(trust) ?? []).SelectMany(PkiObjectReader.ReadCertificates).ToList();
            var pool = (parse.GetValue(untrusted) ?? []).SelectMany(PkiObjectReader.ReadCertificates).ToList();
            var when = VerifyCommand.ParseTime(parse.GetValue(at));
            var gate = new PolicyGate(app.Verifiers.Create(TimeSpan.FromSeconds(10)), app.Services.GetRequiredService<TimeProvider>());
            var evaluations = new List<PolicyEvaluation>();
            foreach (var target in files)
            {
                if (parse.GetValue(signature) is not null || File.Exists(target + ".p7s"))
                {
                    evaluations.Add(await gate.CheckArtifactAsync(document, target, parse.GetValue(signature), anchors, pool, when, null, cancellationToken));
                    continue;
                }

                var certificates = PkiObjectReader.ReadCertificates(target);
                var info = CertificateDescriber.Describe(certificates[0]);
                evaluations.Add(PolicyEvaluator.EvaluateIssuance(document, IssuanceFacts.FromCertificate(info), target));
                evaluations.Add(await gate.CheckCertificateAsync(document, certificates[0], anchors, [.. certificates.Skip(1), .. pool], when, null, target, cancellationToken));
            }

            var output = new PolicyTestOutput(document.Source, evaluations.All(e => e.Passed), evaluations);
            CommandKit.Render(app, parse.GetValue(format), output, () => GovernanceJson.Default.PolicyTestOutput, RenderTest);
            if (!output.Passed)
            {
                // The report above is the one document on stdout; the verdict is the usual error line and exit code.
                var first = evaluations.SelectMany(e => e.Violations.Select(v => (e.Target, v))).First();
                app.Error.WriteLine($"pipeline-pki: error: policy violation [{first.v.Rule}]: {first.Target}: {first.v.Detail}; see the rule-by-rule report above.");
                return ExitCodes.PolicyViolation;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void RenderTest(TextWriter output, PolicyTestOutput result)
    {
        output.WriteLine($"policy: {result.Policy}");
        foreach (var evaluation in result.Evaluations)
        {
            output.WriteLine($"{evaluation.Target} ({evaluation.Kind} rules): {(evaluation.Passed ? "passes" : "FAILS")}");
            foreach (var rule in evaluation.Results)
            {
                var mark = rule.Status switch
                {
                    PolicyRuleStatus.Passed => "ok  ",
                    PolicyRuleStatus.Failed => "FAIL",
                    _ => "n/a ",
                };
                output.WriteLine($"  {mark} {rule.Rule,-20} {rule.Detail}");
            }
        }

        output.WriteLine(result.Passed ? "all rules pass" : "at least one rule fails");
    }
}
