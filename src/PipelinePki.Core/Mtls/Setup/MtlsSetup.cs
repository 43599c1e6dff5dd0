using Microsoft.Extensions.Logging;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// <c>mtls setup</c>: checks the identity, then runs one configurator per target through a
/// write-ahead journal. All or nothing: any failure reverses every change already made and
/// rethrows with the target named.
/// </summary>
public sealed class MtlsSetup
{
    private readonly TimeProvider time;
    private readonly ILogger<MtlsSetup> logger;
    private readonly IReadOnlyDictionary<string, IMtlsConfigurator> configurators;

    public MtlsSetup(TimeProvider time, ILogger<MtlsSetup> logger)
    {
        this.time = time;
        this.logger = logger;
        IMtlsConfigurator[] all =
        [
            new DockerConfigurator(), new GitConfigurator(), new CurlConfigurator(), new NpmConfigurator(), new PipConfigurator(),
            new NugetConfigurator(), new MavenConfigurator(), new KubeConfigurator(), new HelmConfigurator(), new EnvConfigurator(),
        ];
        configurators = all.ToDictionary(c => c.Kind);
    }

    public async Task<MtlsSetupResult> RunAsync(MtlsSetupRequest request, CancellationToken cancellationToken)
    {
        if (request.Targets.Count == 0)
        {
            throw new UsageException("--for: name at least one target (docker=HOST:PORT, git=URL, curl, npm=URL, pip=URL, nuget=URL, maven, kube=SERVER, helm=URL, env).");
        }

        var isTokenKey = request.KeyPath.StartsWith("pkcs11:", StringComparison.OrdinalIgnoreCase);
        if (isTokenKey && request.Targets.FirstOrDefault(t => configurators[t.Kind].NeedsKeyFile) is { } needsFile)
        {
            throw new UsageException($"--for {needsFile.Display}: this tool reads its key from a file; a pkcs11: key works with --for env only.");
        }

        var stateDirectory = Path.GetFullPath(request.StateDirectory);
        using var identity = MtlsIdentity.Load(request, time);
        var journal = SetupJournal.Begin(stateDirectory, time);
        var context = new MtlsSetupContext(identity, journal, request.GetEnvironmentVariable, request.DockerDaemonCertsDirectory);
        var results = new List<MtlsTargetResult>();
        MtlsTarget? current = null;
        try
        {
            foreach (var target in request.Targets)
            {
                cancellationToken.ThrowIfCancellationRequested();
                current = target;
                logger.LogDebug("configuring {Target}", target.Display);
                context.BeginTarget(target.Display);
                var notes = await configurators[target.Kind].ConfigureAsync(target, context, cancellationToken);
                results.Add(new MtlsTargetResult(target.Display, context.EndTarget(), notes));
            }

            journal.Complete();
        }
        catch (Exception e)
        {
            logger.LogDebug("setup failed at {Target}; rolling back", current?.Display);
            journal.Rollback();
            if (e is OperationCanceledException)
            {
                throw;
            }

            var prefix = current is null ? string.Empty : $"--for {current.Display}: ";
            throw e switch
            {
                UsageException => new UsageException(prefix + e.Message, e),
                BadInputException => new BadInputException(prefix + e.Message + " Nothing was left behind.", e),
                NotValidException => new NotValidException(prefix + e.Message, e),
                PipelinePkiException => e,
                IOException or UnauthorizedAccessException => new BadInputException($"{prefix}{e.Message}; nothing was left behind.", e),
                _ => e,
            };
        }

        var environment = journal.Environment.Select(v => new EnvironmentAssignment(v.Name, v.Value)).ToList();
        return new MtlsSetupResult(stateDirectory, results, environment, MachineNotes(request, context));
    }

    /// <summary>Variables of the job that affect tools beyond what the targets already handled.</summary>
    private static List<string> MachineNotes(MtlsSetupRequest request, MtlsSetupContext context)
    {
        var notes = new List<string>();
        var kinds = request.Targets.Select(t => t.Kind).ToHashSet();
        if (!kinds.Contains("env") && context.Variable("SSL_CERT_FILE") is { } file)
        {
            notes.Add($"SSL_CERT_FILE is set ({file}) and left alone: the configured tools are given the CA explicitly.");
        }

        if (!kinds.Contains("env") && context.Variable("SSL_CERT_DIR") is { } directory)
        {
            notes.Add($"SSL_CERT_DIR is set ({directory}) and left alone: the configured tools are given the CA explicitly.");
        }

        return notes;
    }
}
