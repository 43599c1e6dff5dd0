namespace PipelinePki.Core.Keys;

/// <summary>
/// A key held outside the process (an HSM), named by a reference such as a <c>pkcs11:</c> URI.
/// Carries the name of the environment variable holding the PIN, never the PIN.
/// </summary>
/// <param name="Reference">The key's URI.</param>
/// <param name="ModulePath">The device's module (PKCS#11 library) when the URI does not name one.</param>
/// <param name="PinEnvironmentVariable">Where the PIN is read from when the key is opened.</param>
public sealed record ExternalKeyReference(string Reference, string? ModulePath, string PinEnvironmentVariable);

/// <summary>A key opened on a device, and whether it was generated there just now.</summary>
public sealed record ExternalKey(ISigningKey Key, bool Generated);

/// <summary>
/// Opens keys that live on a device. Core declares the seam; PipelinePki.Hsm implements it for
/// PKCS#11 and the CLI wires it, so Core never loads a device module itself.
/// </summary>
public interface IExternalKeyProvider
{
    /// <summary>Whether <paramref name="reference"/> is a kind of key this provider opens (e.g. starts with <c>pkcs11:</c>).</summary>
    bool Handles(string reference);

    /// <summary>Opens an existing key; it signs on the device and its private part never leaves it.</summary>
    ISigningKey Open(ExternalKeyReference reference);

    /// <summary>Opens the key, or generates it on the device (sensitive, not extractable) when no such key exists.</summary>
    ExternalKey OpenOrGenerate(ExternalKeyReference reference, KeySpec spec);

    /// <summary>The reference as messages and status output may show it (nothing secret).</summary>
    string Describe(string reference);
}

/// <summary>Picks the provider for a reference, or says plainly that this build cannot open it.</summary>
public static class ExternalKeyProviders
{
    public static IExternalKeyProvider For(IExternalKeyProvider? provider, string reference, string source)
    {
        if (provider is not null && provider.Handles(reference))
        {
            return provider;
        }

        var scheme = reference.Split(':', 2)[0];
        throw new BadInputException($"{source}: '{scheme}:' keys cannot be opened here (no provider for them is wired in); use a pkcs11: URI with the pipeline-pki command line.");
    }
}
