using System.Runtime.InteropServices;
using Net.Pkcs11Interop.HighLevelAPI;

namespace PipelinePki.Hsm;

/// <summary>
/// Pkcs11Interop binds dlopen/dlsym with <c>[DllImport("libdl")]</c>, and glibc 2.34+ (Debian 12,
/// Ubuntu 22.04+) ships only <c>libdl.so.2</c> unless libc6-dev is installed. The maintainer's
/// advice (Pkcs11Interop issue #239) is a DllImportResolver; the runtime allows one per assembly
/// for the whole process, hence this one-time registration.
/// </summary>
internal static class NativeLoader
{
    private static readonly Lazy<bool> Registered = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureRegistered() => _ = Registered.Value;

    private static bool Register()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, Resolve);
            return true;
        }
        catch (InvalidOperationException)
        {
            // The host registered its own resolver for Pkcs11Interop first; trust it.
            return false;
        }
    }

    private static IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == "libdl" && !OperatingSystem.IsWindows())
        {
            foreach (var candidate in OperatingSystem.IsMacOS() ? ["libdl.dylib", "libSystem.dylib"] : new[] { "libdl.so.2", "libc.so.6", "libdl.so" })
            {
                if (NativeLibrary.TryLoad(candidate, out var handle))
                {
                    return handle;
                }
            }
        }

        return IntPtr.Zero;
    }
}
