using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PipelinePki.Ci;
using PipelinePki.Cli.Commands;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Workflows;
using PipelinePki.Sources.Acme;

namespace PipelinePki.Cli;

/// <summary>
/// The command line: parse, run one command, map failures to the exit-code table. This is the only
/// place that knows exit-code numbers; everything below throws typed exceptions.
/// </summary>
public sealed class CliApp(TextWriter output, TextWriter error, Func<string, string?> getEnvironmentVariable, TimeProvider time, Func<Stream>? openInput = null)
{
    internal readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Log each step on stderr and show stack traces for internal errors.",
        Recursive = true,
    };

    internal readonly Option<string> CiOption = new("--ci")
    {
        Description = "CI platform for outputs and identity: auto (detect), github, azure, gitlab, none.",
        DefaultValueFactory = _ => "auto",
        Recursive = true,
    };

    internal readonly Option<string?> AuditLogOption = new("--audit-log")
    {
        Description = "Audit log file (JSON lines, hash-chained; default $PIPELINE_PKI_AUDIT_LOG, else audit.jsonl in the CA home).",
        Recursive = true,
    };

    internal readonly Option<bool> AuditStdoutOption = new("--audit-stdout")
    {
        Description = "Also print each audit line on stdout.",
        Recursive = true,
    };

    internal readonly Option<bool> AuditSyslogOption = new("--audit-syslog")
    {
        Description = "Also send each audit line to syslog (RFC 5424 on /dev/log, or $PIPELINE_PKI_SYSLOG_SOCKET).",
        Recursive = true,
    };
    internal readonly Option<string?> DotenvOption = new("--dotenv")
    {
        Description = $"GitLab: the dotenv file for artifacts:reports:dotenv that receives the outputs (default ${CiPlatforms.DotenvVariable}).",
        Recursive = true,
    };

    /// <summary>stderr, watched so our own error and warning lines also become CI annotations.</summary>
    private readonly CiLogWriter ciLog = new(error);

    private CiPublisher? ciPublisher;

    public TextWriter Output => output;

    public TextWriter Error => ciLog;

    public string? GetEnvironmentVariable(string name) => getEnvironmentVariable(name);

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (GitProgram.IsGitInvocation(args))
        {
            // Invoked by git as gpg.x509.program: gpgsm's calling convention, not ours.
            var gitServices = new Lazy<ServiceProvider>(() => BuildServices(verbose: false));
            lazyServices = gitServices;
            try
            {
                await using var input = (openInput ?? Console.OpenStandardInput)();
                return await GitProgram.RunAsync(this, args, input, cancellationToken);
            }
            finally
            {
                if (gitServices.IsValueCreated)
                {
                    await gitServices.Value.DisposeAsync();
                }
            }
        }

        // Only the branch the command line names is built (every CI step pays for start-up);
        // anything unrecognised falls back to the whole tree, so help, errors and suggestions are unchanged.
        var words = BuildEveryCommand ? [] : CommandWords.Leading(args, RootOptionsTakingValues(), MaxSelectedDepth);
        var root = BuildRootCommand(words, helpAndVersion: words.Count == 0 || args.Any(HelpOrVersionToken));
        var parseResult = root.Parse(args);
        var verbose = parseResult.GetValue(VerboseOption);
        var wantsJson = args.Contains("json") && args.Any(a => a is "--format" or "-f" || a.StartsWith("--format=", StringComparison.Ordinal));
        var ciPlatform = CiWiring.Platform(parseResult, CiOption, DotenvOption, getEnvironmentVariable, output, ciLog.Inner, time);
        ciPublisher = new CiPublisher(ciPlatform);
        ciLog.Platform = ciPlatform;

        if (parseResult.Errors.Count > 0)
        {
            var command = parseResult.CommandResult.Command;
            var path = CommandPath(command);
            var message = string.Join("; ", parseResult.Errors.Select(e => e.Message));
            return Fail(ExitCodes.Usage, $"{message} (see '{path} --help').", wantsJson, null, verbose);
        }

        // Built on first use: --help, --version and parse errors never pay for the container.
        var services = new Lazy<ServiceProvider>(() => BuildServices(verbose));
        lazyServices = services;
        try
        {
            // Before the command runs: nothing it prints can carry a secret the platform does not yet hide.
            ciPublisher.MaskSecrets(CiWiring.SecretsNamedByOptions(parseResult, getEnvironmentVariable));
            return await parseResult.InvokeAsync(
                new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = ciLog.Inner },
                cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Fail(ExitCodes.Cancelled, "cancelled; nothing was left half-written.", wantsJson, null, verbose);
        }
        catch (PipelinePkiException e)
        {
            var (code, text) = e switch
            {
                UsageException => (ExitCodes.Usage, e.Message),
                BadInputException => (ExitCodes.BadInput, e.Message),
                NotValidException => (ExitCodes.NotValid, e.Message),
                PolicyViolationException p => (ExitCodes.PolicyViolation, $"policy violation [{p.Rule}]: {p.Message}"),
                RemoteFailureException => (ExitCodes.RemoteFailure, e.Message),
                _ => (ExitCodes.InternalError, e.Message),
            };
            return Fail(code, text, wantsJson, e, verbose);
        }
        catch (Exception e)
        {
            return Fail(
                ExitCodes.InternalError,
                $"internal error ({e.GetType().Name}: {e.Message}). This is a bug: rerun with --verbose and report the output.",
                wantsJson,
                e,
                verbose);
        }
        finally
        {
            if (services.IsValueCreated)
            {
                await services.Value.DisposeAsync();
            }
        }
    }

    /// <summary>Set for the duration of one run; commands resolve what they need from it.</summary>
    private Lazy<ServiceProvider>? lazyServices;

    internal ServiceProvider Services => (lazyServices ?? throw new InvalidOperationException("no command is running")).Value;

    internal CiEnvironment Ci => Services.GetRequiredService<CiEnvironment>();

    /// <summary>
    /// Verifiers for this run. Not from the container: a <c>cert verify</c> with the CRLs at hand never needs
    /// it, and building it costs milliseconds of every gate step; the HTTP client factory is resolved on the first fetch.
    /// </summary>
    internal VerifierFactory Verifiers => new(time, () => Services.GetRequiredService<IHttpClientFactory>());

    /// <summary>Where commands hand their outputs, environment and summary to the CI platform.</summary>
    internal CiPublisher CiPublisher => ciPublisher ?? throw new InvalidOperationException("no command is running");

    private ServiceProvider BuildServices(bool verbose)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning);
            logging.AddProvider(new StderrLoggerProvider(Error, verbose ? LogLevel.Debug : LogLevel.Warning));
        });
        services.AddSingleton(new CiEnvironment(getEnvironmentVariable));
        // CA and signing keys on PKCS#11 tokens (pkcs11: URIs); the PIN is read from this run's environment.
        services.AddSingleton<Core.Keys.IExternalKeyProvider>(new Hsm.Pkcs11KeyProvider(getEnvironmentVariable));
        services.AddSingleton<LocalCaInitializer>();
        services.AddSingleton<LocalAuthorityFactory>();
        services.AddSingleton<Quickstart>();
        services.AddAcmeSource();
        services.AddSingleton<PipelinePki.Core.Mtls.Setup.MtlsSetup>();
        services.AddSingleton<PipelinePki.Core.Mtls.Setup.MtlsTeardown>();
        services.AddHttpClient(VerifierFactory.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // CRLs and OCSP are mostly plain HTTP; where TLS is used, nothing older than 1.2.
                SslOptions = { EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13 },
                AllowAutoRedirect = true,
                MaxAutomaticRedirections = 3,
                UseProxy = true,
            })
            // The fetchers apply their own per-request timeout; the client's default of 100 s is only a backstop.
            .ConfigureHttpClient(client => client.Timeout = TimeSpan.FromMinutes(2));
        // The CI platform's OIDC ID token service (Vault JWT login): GitHub and Azure, over TLS 1.2+.
        services.AddHttpClient(CiWorkloadIdentity.HttpClientName)
            .ConfigureHttpClient(client => client.Timeout = TimeSpan.FromSeconds(30))
            .RedactLoggedHeaders(_ => true);
        services.AddGitHubClient();
        return services.BuildServiceProvider();
    }

    /// <summary>Tests: build every command whatever the command line names, to compare with the selective tree.</summary>
    internal bool BuildEveryCommand { get; init; }

    /// <summary>Command words are matched this deep: a top-level command and one level of subcommands.</summary>
    private const int MaxSelectedDepth = 2;

    /// <summary>The leading command words of this run ("cert", "verify"), which select the branch of the tree to build.</summary>
    private IReadOnlyList<string> commandWords = [];

    /// <summary>
    /// Adds to <paramref name="parent"/> the child the command line names at <paramref name="depth"/>, or every child
    /// when it names none of them (help, typos and errors then read exactly as with the whole tree).
    /// </summary>
    internal void AddSubcommands(Command parent, int depth, params (string Name, Func<CliApp, Command> Create)[] children)
    {
        var word = depth < commandWords.Count ? commandWords[depth] : null;
        var selected = children.Where(c => c.Name == word).ToArray();
        foreach (var (name, create) in selected.Length == 1 ? selected : children)
        {
            var command = create(this);
            if (command.Name != name)
            {
                throw new InvalidOperationException($"command table lists '{name}' but the factory built '{command.Name}'.");
            }

            parent.Subcommands.Add(command);
        }
    }

    private static bool HelpOrVersionToken(string token) => token is "--help" or "-h" or "-?" or "/h" or "/?" or "--version";

    private string[] RootOptionsTakingValues() =>
        [.. new Option[] { CiOption, AuditLogOption, DotenvOption }.SelectMany(o => o.Aliases.Prepend(o.Name))];

    /// <summary>The command tree: only the branch <paramref name="words"/> name where they name one, else all of it.</summary>
    /// <param name="words">The command words of the command line (none: the whole tree).</param>
    /// <param name="helpAndVersion">
    /// Whether the root carries --help and --version. Their descriptions come from System.CommandLine's
    /// resources, and the first resource lookup sets up reflection over assembly metadata — a millisecond
    /// that a command line naming neither option does not need to pay.
    /// </param>
    internal Command BuildRootCommand(IReadOnlyList<string> words, bool helpAndVersion = true)
    {
        commandWords = words;
        const string description = "pipeline-pki: short-lived certificates, signing and verification for CI/CD pipelines.";
        var root = helpAndVersion || BuildEveryCommand ? new RootCommand(description) : new Command("pipeline-pki", description);
        root.Options.Add(VerboseOption);
        CiOption.AcceptOnlyFromAmong("auto", "github", "azure", "gitlab", "none");
        root.Options.Add(CiOption);
        root.Options.Add(AuditLogOption);
        root.Options.Add(AuditStdoutOption);
        root.Options.Add(AuditSyslogOption);
        root.Options.Add(DotenvOption);
        AddSubcommands(
            root,
            depth: 0,
            ("quickstart", QuickstartCommand.Create),
            ("ca", CaCommands.Create),
            ("cert", CertCommands.Create),
            ("mtls", MtlsCommands.Create),
            ("acme", AcmeCommands.Create),
            ("sign", SignCommands.Sign),
            ("verify", SignCommands.Verify),
            ("policy", PolicyCommands.Create),
            ("audit", AuditCommands.Create),
            ("publish", PublishCommands.Create),
            (WrapperStepCommand.GitHub.CommandName, app => WrapperStepCommand.Create(app, WrapperStepCommand.GitHub)),
            (WrapperStepCommand.GitLab.CommandName, app => WrapperStepCommand.Create(app, WrapperStepCommand.GitLab)));
        return root;
    }

    private int Fail(int code, string message, bool json, Exception? exception, bool verbose)
    {
        // One line, always: CI logs and wrappers grep for it, and some parser messages carry line breaks.
        message = string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Error.WriteLine($"pipeline-pki: error: {message}");
        if (verbose && exception is not null)
        {
            ciLog.Inner.WriteLine(exception.ToString());
        }

        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(new ErrorDocument(new ErrorBody(code, message)), CliJson.Default.ErrorDocument));
        }

        return code;
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Add(current is RootCommand ? "pipeline-pki" : current.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
