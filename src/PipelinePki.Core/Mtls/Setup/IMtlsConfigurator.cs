namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// One client tool: writes (through the context's journal) what that tool reads to present the
/// client certificate and trust the CA. Returns notes for the user (what it could not scope, what
/// overrides it); the context records the files.
/// </summary>
internal interface IMtlsConfigurator
{
    /// <summary>The <c>--for</c> kind this configurator handles.</summary>
    string Kind { get; }

    /// <summary>False only where a PKCS#11 URI is useful as is (the env target); every other tool needs a key file.</summary>
    bool NeedsKeyFile { get; }

    Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken);
}
