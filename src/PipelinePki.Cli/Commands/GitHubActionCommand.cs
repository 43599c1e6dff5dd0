using System.CommandLine;
using PipelinePki.Core;

namespace PipelinePki.Cli.Commands;

/// <summary>
/// <c>pipeline-pki github-action VERB</c> (hidden): the container entry point of the GitHub docker
/// actions. It turns the runner's <c>INPUT_*</c> variables into exactly one ordinary command line and
/// runs it, so action.yml holds no logic and a user can replay any step with the printed command.
/// Secrets never travel as inputs: inputs name environment variables (<c>passphrase-env</c>, …).
/// </summary>
internal static class GitHubActionCommand
{
    /// <summary>
    /// The runner starts the post-entrypoint with the same args as the main entrypoint, so the image
    /// links the binary under this name as well; invoked by it, the CLI runs the verb's post step.
    /// </summary>
    public const string PostEntrypointName = "github-action-post";

    public static Command Create(CliApp app)
    {
        var verb = new Argument<string>("verb") { Description = "issue, sign, verify, check, mtls-setup; or post VERB for the post-entrypoint." };
        var rest = new Argument<string[]>("post-args") { Description = "For post: the main step's args.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("github-action", "Container entry point of the GitHub actions: maps INPUT_* variables to one pipeline-pki command and runs it.")
        {
            verb, rest,
        };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var commandLine = Translate(parse.GetValue(verb)!, parse.GetValue(rest) ?? [], app.GetEnvironmentVariable);
            if (commandLine is null)
            {
                return ExitCodes.Success;
            }

            app.Error.WriteLine($"pipeline-pki: running: pipeline-pki {string.Join(' ', commandLine.Select(Quote))}");
            return await app.RunAsync([.. commandLine], cancellationToken);
        });
        return command;
    }

    /// <summary>Prepends <c>github-action post</c> when the process was started as the post-entrypoint.</summary>
    public static string[] RewriteForPostEntrypoint(string? processName, string[] args) =>
        processName is not null && Path.GetFileName(processName) == PostEntrypointName
            ? ["github-action", "post", .. args]
            : args;

    /// <summary>
    /// The one command line a verb's inputs stand for, or null when a post step has nothing to do.
    /// Empty inputs are left out, so the CLI's own defaults apply.
    /// </summary>
    public static IReadOnlyList<string>? Translate(string verbName, IReadOnlyList<string> postArgs, Func<string, string?> environment)
    {
        if (verbName == "post")
        {
            // The main step's args end with its verb (github-action VERB).
            return postArgs.Count > 0 && postArgs[^1] == "mtls-setup" ? Teardown(environment) : null;
        }

        var verb = GitHubActionInputs.Find(verbName)
            ?? throw new UsageException($"unknown action command '{verbName}', input 'command', use one of: {string.Join(", ", GitHubActionInputs.Verbs.Select(v => v.Name))}");

        var options = new List<string>(verb.Command);
        var arguments = new List<string>();
        foreach (var input in verb.Inputs.Concat(GitHubActionInputs.Common))
        {
            var raw = environment(GitHubActionInputs.VariableName(input.Name))?.Trim() ?? string.Empty;
            if (raw.Length == 0)
            {
                if (input.Required)
                {
                    throw new UsageException($"input '{input.Name}' is required by the {verb.Name} action, in the step's with:, set it");
                }

                continue;
            }

            switch (input.Shape)
            {
                case InputShape.Value:
                    options.Add(input.Option);
                    options.Add(raw);
                    break;
                case InputShape.Lines:
                    foreach (var line in Lines(raw))
                    {
                        options.Add(input.Option);
                        options.Add(line);
                    }

                    break;
                case InputShape.Flag:
                    if (ParseBoolean(input.Name, raw))
                    {
                        options.Add(input.Option);
                    }

                    break;
                case InputShape.Arguments:
                    arguments.AddRange(Lines(raw));
                    break;
            }
        }

        // Outputs, masks and the summary go to the runner even if detection were to fail.
        options.Add("--ci");
        options.Add("github");
        if (arguments.Count > 0)
        {
            // "--" keeps an artifact named like an option from being read as one.
            options.Add("--");
            options.AddRange(arguments);
        }

        return options;
    }

    private static List<string> Teardown(Func<string, string?> environment)
    {
        var teardown = new List<string> { "mtls", "teardown" };
        // The runner hands a step's saved state only to its own post step, as STATE_<name>.
        if (environment("STATE_" + GitHubActionInputs.MtlsStateName) is { Length: > 0 } state)
        {
            teardown.Add("--state");
            teardown.Add(state);
        }

        teardown.Add("--ci");
        teardown.Add("github");
        return teardown;
    }

    private static IEnumerable<string> Lines(string raw) =>
        raw.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);

    private static bool ParseBoolean(string name, string raw) => raw.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new UsageException($"input '{name}' is '{raw}', in the step's with:, use true or false"),
    };

    private static string Quote(string token) =>
        token.Length > 0 && token.All(c => char.IsLetterOrDigit(c) || "-_./:=@,+%".Contains(c)) ? token : "'" + token.Replace("'", "'\\''") + "'";
}
