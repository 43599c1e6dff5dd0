using System.Runtime.InteropServices;

namespace PipelinePki.Cli;

/// <summary>
/// The native start-up code linked into the Linux AOT binary (Native/*.c). Elsewhere (the JIT-run CLI in
/// tests, other platforms) it is absent, and there is nothing to wait for.
/// </summary>
internal static class NativeStartup
{
    /// <summary>Waits for the libcrypto warm-up thread started before <c>main</c>, if there is one.</summary>
    public static void JoinCryptoWarmUp()
    {
        try
        {
            _ = NativeMethods.pipeline_pki_crypto_warmup_join();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not the native AOT binary: no warm-up thread was started.
        }
    }

    private static class NativeMethods
    {
        [DllImport("pipeline_pki_native")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int pipeline_pki_crypto_warmup_join();
    }
}
