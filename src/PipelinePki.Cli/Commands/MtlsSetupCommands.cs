using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core.Mtls.Setup;

namespace PipelinePki.Cli.Commands;

/// <summary><c>mtls setup</c> and <c>mtls teardown</c>: parse, one core call, render.</summary>
internal static class MtlsSetupCommands
{
    public const string DefaultDockerDaemonCerts = "/etc/docker/certs.d";

    public static Command Setup(CliApp app)
    {
        var cert = new Option<string>("--cert") { Description = "Client certificate (PEM/DER; leaf first, with its chain: fullchain.pem).", Required = true };
        var key = new Option<string>("--key") { Description = "Its private key file, or a pkcs11: URI (with --for env only).", Required = true };
        var ca = new Option<string>("--ca") { Description = "CA certificate(s) that sign the servers.", Required = true };
        var targets = new Option<string[]>("--for")
        {
            Description = "Tool to configure (repeatable): docker=HOST[:PORT], git=URL, curl, npm=REGISTRY_URL, pip=INDEX_URL, nuget=SOURCE[,NAME], maven, kube=SERVER[,NAME], helm=REPO_URL[,NAME], env.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var state = StateOption();
        var allowExpired = new Option<bool>("--allow-expired") { Description = "Configure an expired (or not yet valid) certificate anyway." };
        var passphraseEnv = new Option<string?>("--passphrase-env") { Description = "Environment variable holding the key's passphrase, when it is encrypted." };
        var daemonCerts = new Option<string>("--docker-daemon-certs")
        {
            Description = $"The docker daemon's system-wide certs.d, written when permitted ('none' to skip).",
            DefaultValueFactory = _ => DefaultDockerDaemonCerts,
        };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("setup", "Configure the pipeline's tools to present a client certificate and trust a CA; every change is recorded for mtls teardown. All or nothing.")
        {
            cert, key, ca, targets, state, allowExpired, passphraseEnv, daemonCerts, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var variable = parse.GetValue(passphraseEnv);
            var daemon = parse.GetValue(daemonCerts);
            var request = new MtlsSetupRequest(
                parse.GetValue(cert)!,
                parse.GetValue(key)!,
                parse.GetValue(ca)!,
                (parse.GetValue(targets) ?? []).Select(MtlsTarget.Parse).ToList(),
                ResolveState(app, parse.GetValue(state)),
                parse.GetValue(allowExpired),
                daemon is null or "none" ? null : daemon,
                app.GetEnvironmentVariable,
                variable is null ? () => null : CommandKit.Passphrase(app, variable).Invoke);
            var result = await app.Services.GetRequiredService<MtlsSetup>().RunAsync(request, cancellationToken);
            app.CiPublisher.PublishMtlsSetup(result.StateDirectory, result.Environment.GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal));
            CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.MtlsSetupResult, RenderSetup);
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Teardown(CliApp app)
    {
        var state = StateOption();
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("teardown", "Reverse an mtls setup: restore modified files byte for byte, delete created ones (keys overwritten first). Safe to repeat, and after a killed setup.")
        {
            state, format,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var result = app.Services.GetRequiredService<MtlsTeardown>().Run(new MtlsTeardownRequest(ResolveState(app, parse.GetValue(state))), cancellationToken);
            app.CiPublisher.Publish(new Ci.Steps.MtlsTeardownOutputs(result.Environment.GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal)));
            CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.MtlsTeardownResult, RenderTeardown);
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static Option<string?> StateOption() => new("--state")
    {
        Description = "Directory for the manifest and the files setup writes (default: under RUNNER_TEMP, AGENT_TEMPDIRECTORY or CI_BUILDS_DIR, else $PIPELINE_PKI_HOME/mtls, else ./.pipeline-pki/mtls).",
    };

    /// <summary>The job's temp directory when a CI runner provides one (it is wiped after the job), else beside the CA home.</summary>
    private static string ResolveState(CliApp app, string? given)
    {
        if (!string.IsNullOrEmpty(given))
        {
            return Path.GetFullPath(given);
        }

        foreach (var variable in new[] { "RUNNER_TEMP", "AGENT_TEMPDIRECTORY", "CI_BUILDS_DIR" })
        {
            if (app.GetEnvironmentVariable(variable) is { Length: > 0 } temp)
            {
                return Path.GetFullPath(Path.Combine(temp, "pipeline-pki-mtls"));
            }
        }

        return Path.GetFullPath(Path.Combine(CommandKit.ResolveHome(app, null), "mtls"));
    }

    private static void RenderSetup(TextWriter output, MtlsSetupResult result)
    {
        output.WriteLine($"mtls setup: {result.Targets.Count} target(s) configured; state in {result.StateDirectory}");
        foreach (var target in result.Targets)
        {
            output.WriteLine($"  {target.Target}");
            foreach (var change in target.Changes)
            {
                output.WriteLine($"    {change.Action,-9} {change.Path}");
            }

            foreach (var note in target.Notes)
            {
                output.WriteLine($"    note: {note}");
            }
        }

        foreach (var note in result.Notes)
        {
            output.WriteLine($"  note: {note}");
        }

        if (result.Environment.Count > 0)
        {
            output.WriteLine("environment for later steps (export these):");
            foreach (var assignment in result.Environment)
            {
                output.WriteLine($"  {assignment.Name}={assignment.Value}");
            }
        }

        output.WriteLine($"undo with: pipeline-pki mtls teardown --state {result.StateDirectory}");
    }

    private static void RenderTeardown(TextWriter output, MtlsTeardownResult result)
    {
        if (!result.SetupFound)
        {
            output.WriteLine($"mtls teardown: nothing to tear down in {result.StateDirectory}");
            return;
        }

        output.WriteLine($"mtls teardown: {result.Changes.Count} change(s) reversed{(result.SetupWasComplete ? string.Empty : " (the setup had not finished)")}; state was {result.StateDirectory}");
        foreach (var change in result.Changes)
        {
            output.WriteLine($"  {change.Action,-9} {change.Path}");
        }

        foreach (var note in result.Notes)
        {
            output.WriteLine($"  note: {note}");
        }

        if (result.Environment.Count > 0)
        {
            output.WriteLine("environment for later steps (previous values; empty means unset):");
            foreach (var assignment in result.Environment)
            {
                output.WriteLine($"  {assignment.Name}={assignment.Value}");
            }
        }
    }
}
