using PipelinePki.Core;
using PipelinePki.Core.Keys;

namespace PipelinePki.Hsm;

/// <summary>
/// Core's <see cref="IExternalKeyProvider"/> for <c>pkcs11:</c> URIs. The PIN is read, when a key
/// is opened, from the environment variable the reference names, through the given lookup (the
/// CLI passes its own, so tests can run it in process).
/// </summary>
public sealed class Pkcs11KeyProvider(Func<string, string?> getEnvironmentVariable) : IExternalKeyProvider
{
    public const string Scheme = "pkcs11:";

    public bool Handles(string reference) => reference.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    public ISigningKey Open(ExternalKeyReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var uri = Pkcs11Uri.Parse(reference.Reference);
        return Pkcs11KeyStore.Open(uri, Pin(reference), reference.ModulePath);
    }

    public ExternalKey OpenOrGenerate(ExternalKeyReference reference, KeySpec spec)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var uri = Pkcs11Uri.Parse(reference.Reference);
        var (key, generated) = Pkcs11KeyStore.OpenOrGenerate(uri, Pin(reference), spec, reference.ModulePath);
        return new ExternalKey(key, generated);
    }

    public string Describe(string reference) => Pkcs11Uri.Parse(reference).Description;

    private ReadOnlySpan<char> Pin(ExternalKeyReference reference)
    {
        if (string.IsNullOrWhiteSpace(reference.PinEnvironmentVariable))
        {
            throw new UsageException("--pin-env: give the name of the environment variable holding the token's user PIN.");
        }

        return getEnvironmentVariable(reference.PinEnvironmentVariable) is { Length: > 0 } pin
            ? pin.AsSpan()
            : throw new UsageException($"--pin-env {reference.PinEnvironmentVariable}: the environment variable is not set; put the token's user PIN in it.");
    }
}
