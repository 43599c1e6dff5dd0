using System.Security.Cryptography;

namespace PipelinePki.Cli;

/// <summary>
/// Loads and initialises the platform crypto library (OpenSSL on Linux) on a thread-pool thread, so a
/// short command does not wait for it when it first hashes or verifies. Nothing depends on it finishing:
/// the first real use simply finds the work done, or waits for the same one-time initialisation.
/// </summary>
internal static class PlatformCryptoWarmUp
{
    public static void Start() => new Thread(static () =>
    {
        try
        {
            // The first call loads libssl/libcrypto and resolves the shim; ECDsa.Create sets up the EC key type.
            _ = SHA256.HashData(ReadOnlySpan<byte>.Empty);
            using var ecdsa = ECDsa.Create();
        }
        catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException or TypeInitializationException or DllNotFoundException)
        {
            // The command that needs crypto reports the real problem when it gets there.
        }
    }) { IsBackground = true, Name = "crypto warm-up" }.Start();
}
