namespace PipelinePki.Cli;

/// <summary>
/// Loads OpenSSL's libcrypto and its providers on a second thread, so a short command does not wait for
/// that when it first verifies a signature (about 6 ms here, a fifth of a <c>cert verify</c>). Nothing
/// depends on it finishing first: the first real use finds the work done, or waits for the same one-time
/// initialisation. The thread must be joined before the process exits (see Program).
/// </summary>
internal static class PlatformCryptoWarmUp
{
    /// <returns>The started thread.</returns>
    public static Thread Start()
    {
        var thread = new Thread(static () =>
        {
            try
            {
                _ = Core.Validation.CryptoWarmUp.Run();
            }
            catch (Exception e) when (e is InvalidOperationException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
            {
                // The command that needs crypto reports the real problem when it gets there.
            }
        })
        {
            IsBackground = true,
            Name = "crypto warm-up",
        };
        thread.Start();
        return thread;
    }
}
