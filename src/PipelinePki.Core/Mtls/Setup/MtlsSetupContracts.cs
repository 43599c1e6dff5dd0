namespace PipelinePki.Core.Mtls.Setup;

/// <summary>What <c>mtls setup</c> is asked to do. Paths are as the user gave them; the state directory is resolved by the caller.</summary>
/// <param name="KeyPath">A key file, or a <c>pkcs11:</c> URI (accepted for the <c>env</c> target only: every other tool needs a file).</param>
/// <param name="GetEnvironmentVariable">The environment of the job (HOME, DOCKER_CONFIG, KUBECONFIG, …), never the process's directly, so tests and wrappers control it.</param>
/// <param name="DockerDaemonCertsDirectory">The docker daemon's system-wide certs.d; null skips it.</param>
public sealed record MtlsSetupRequest(
    string CertificatePath,
    string KeyPath,
    string CaPath,
    IReadOnlyList<MtlsTarget> Targets,
    string StateDirectory,
    bool AllowExpired,
    string? DockerDaemonCertsDirectory,
    Func<string, string?> GetEnvironmentVariable,
    Func<ReadOnlyMemory<char>?> KeyPassphrase);

/// <summary>One variable the caller should export for later steps of the job (an empty value means: unset it).</summary>
public sealed record EnvironmentAssignment(string Name, string Value);

/// <summary>One file or directory setup created or modified (teardown reverses it).</summary>
public sealed record MtlsChange(string Path, string Action);

public sealed record MtlsTargetResult(string Target, IReadOnlyList<MtlsChange> Changes, IReadOnlyList<string> Notes);

/// <summary>
/// The outcome of a setup. <see cref="Environment"/> is the clean list of assignments a CI adapter
/// exports (GITHUB_ENV, Azure setvariable, GitLab dotenv); <see cref="StateDirectory"/> is absolute,
/// so a later teardown step finds the manifest wherever it runs.
/// </summary>
public sealed record MtlsSetupResult(
    string StateDirectory,
    IReadOnlyList<MtlsTargetResult> Targets,
    IReadOnlyList<EnvironmentAssignment> Environment,
    IReadOnlyList<string> Notes);

public sealed record MtlsTeardownRequest(string StateDirectory);

/// <summary>What teardown did; <see cref="Environment"/> holds the previous values (empty: unset) of every variable setup exported.</summary>
public sealed record MtlsTeardownResult(
    string StateDirectory,
    bool SetupFound,
    bool SetupWasComplete,
    IReadOnlyList<MtlsChange> Changes,
    IReadOnlyList<EnvironmentAssignment> Environment,
    IReadOnlyList<string> Notes);
