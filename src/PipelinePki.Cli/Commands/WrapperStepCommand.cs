using System.CommandLine;
using System.CommandLine.Parsing;
using PipelinePki.Core;

namespace PipelinePki.Cli.Commands;

/// <summary>
/// The hidden entry points of the CI wrappers: <c>pipeline-pki github-action VERB</c> (the container
/// entry point of the GitHub docker actions) and <c>pipeline-pki gitlab-component VERB</c> (the
/// script line of the GitLab components). Each turns the step's <c>INPUT_*</c> variables into exactly
/// one ordinary command line, prints it, and runs it, so the YAML holds no logic and anyone can replay
/// a step by hand. Secrets never travel as inputs: inputs name environment variables
/// (<c>passphrase-env</c>, <c>vault-token-env</c>, …).
/// </summary>
public static class WrapperStepCommand
{
    /// <summary>
    /// GitHub's runner starts the post-entrypoint with the main step's args, so the image links the
    /// binary under this name too; started by that name, the CLI runs the verb's post step.
    /// </summary>
    public const string PostEntrypointName = "github-action-post";

    /// <summary>How one platform names input variables and which <c>--ci</c> it passes.</summary>
    public sealed record Platform(string CommandName, string Ci, Func<string, string> VariableName);

    public static readonly Platform GitHub = new("github-action", "github", WrapperInputs.GitHubVariableName);

    public static readonly Platform GitLab = new("gitlab-component", "gitlab", WrapperInputs.GitLabVariableName);

    public static Command Create(CliApp app, Platform platform)
    {
        var verb = new Argument<string>("verb") { Description = "issue, sign, verify, check, mtls-setup (GitHub: post VERB for the post-entrypoint)." };
        var command = new Command(platform.CommandName, $"Entry point of the {platform.Ci} wrappers: maps INPUT_* variables to one pipeline-pki command and runs it.")
        {
            verb,
        };
        command.Hidden = true;
        // Tokens after VERB are handed to the command run: global options such as --dotenv FILE, and
        // for the post-entrypoint the main step's args.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var tokens = parse.Tokens.ToList();
            var commandAt = tokens.FindIndex(t => t.Type == TokenType.Command && t.Value == platform.CommandName);
            var verbName = parse.GetValue(verb)!;
            var after = tokens.Skip(commandAt + 2).Select(t => t.Value).ToList();
            var commandLine = Translate(platform, verbName, after, app.GetEnvironmentVariable);
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
            ? [GitHub.CommandName, "post", .. args]
            : args;

    /// <summary>
    /// The one command line a verb's inputs stand for, or null when a post step has nothing to do.
    /// Empty inputs are left out, so the CLI's own defaults apply.
    /// </summary>
    public static IReadOnlyList<string>? Translate(Platform platform, string verbName, IReadOnlyList<string> extraTokens, Func<string, string?> environment)
    {
        if (verbName == "post" && platform == GitHub)
        {
            // The main step's args end with its verb (github-action VERB); only mtls-setup has a post step.
            return extraTokens.Count > 0 && extraTokens[^1] == "mtls-setup" ? Teardown(environment) : null;
        }

        var verb = WrapperInputs.Find(verbName)
            ?? throw new UsageException($"unknown wrapper command '{verbName}', input 'command', use one of: {string.Join(", ", WrapperInputs.Verbs.Select(v => v.Name))}");

        var options = new List<string>(verb.Command);
        var arguments = new List<string>();
        foreach (var input in verb.Inputs.Concat(WrapperInputs.Common))
        {
            var raw = environment(platform.VariableName(input.Name))?.Trim() ?? string.Empty;
            if (raw.Length == 0)
            {
                if (input.Required)
                {
                    throw new UsageException($"input '{input.Name}' is required by the {verb.Name} step, in the step's inputs, set it");
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

        // Outputs, masks and the summary go to the platform even if detection were to fail.
        options.Add("--ci");
        options.Add(platform.Ci);
        options.AddRange(extraTokens);
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
        if (environment("STATE_" + WrapperInputs.MtlsStateName) is { Length: > 0 } state)
        {
            teardown.Add("--state");
            teardown.Add(state);
        }

        teardown.Add("--ci");
        teardown.Add(GitHub.Ci);
        return teardown;
    }

    private static IEnumerable<string> Lines(string raw) =>
        raw.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);

    private static bool ParseBoolean(string name, string raw) => raw.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new UsageException($"input '{name}' is '{raw}', in the step's inputs, use true or false"),
    };

    private static string Quote(string token) =>
        token.Length > 0 && token.All(c => char.IsLetterOrDigit(c) || "-_./:=@,+%".Contains(c)) ? token : "'" + token.Replace("'", "'\\''") + "'";
}
