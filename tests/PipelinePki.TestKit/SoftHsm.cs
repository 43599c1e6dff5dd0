using System.Globalization;
using System.Runtime.InteropServices;

namespace PipelinePki.TestKit;

/// <summary>
/// A private SoftHSM2 token per instance: its own config and token directory, initialised with
/// <c>softhsm2-util</c>, keys generated inside it with <c>pkcs11-tool</c> (never imported).
/// SoftHSM reads SOFTHSM2_CONF when the module is initialised, so the constructor sets it for the
/// whole test process: use one instance at a time (one xunit collection, not run in parallel).
/// </summary>
public sealed class SoftHsm : IDisposable
{
    public const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";

    private readonly TempDirectory directory = new();

    private SoftHsm(string tokenLabel, string userPin, string soPin)
    {
        TokenLabel = tokenLabel;
        UserPin = userPin;
        SoPin = soPin;
        ConfigPath = directory.Combine("softhsm2.conf");
    }

    public string TokenLabel { get; }

    public string UserPin { get; }

    public string SoPin { get; }

    public string ConfigPath { get; }

    public string Directory => directory.Path;

    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["SOFTHSM2_CONF"] = ConfigPath };

    /// <summary>Creates the config, points this process at it and initialises a token. Fails loudly when SoftHSM2 or OpenSC is missing.</summary>
    /// <param name="userPin">The user PIN; a random one when null (tests that search output for the PIN pass a distinctive one).</param>
    public static async Task<SoftHsm> CreateAsync(string tokenLabel = "pipeline-pki-test", string? userPin = null)
    {
        if (!File.Exists(ModulePath))
        {
            throw new InvalidOperationException($"{ModulePath} is missing: install softhsm2 and opensc (test.sh does: apt-get install softhsm2 opensc).");
        }

        userPin ??= Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);
        var hsm = new SoftHsm(tokenLabel, userPin, "so-" + userPin);
        var tokens = hsm.directory.Combine("tokens");
        System.IO.Directory.CreateDirectory(tokens);
        await File.WriteAllTextAsync(hsm.ConfigPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");
        SetProcessEnvironment("SOFTHSM2_CONF", hsm.ConfigPath);
        await hsm.RunAsync("softhsm2-util", "--init-token", "--free", "--label", tokenLabel, "--so-pin", hsm.SoPin, "--pin", userPin);
        return hsm;
    }

    /// <summary>Generates a key pair on the token. <paramref name="keyType"/> as pkcs11-tool spells it: EC:prime256v1, EC:secp384r1, rsa:3072.</summary>
    public Task GenerateKeyPairAsync(string keyType, string label, string idHex) =>
        RunAsync("pkcs11-tool", "--module", ModulePath, "--token-label", TokenLabel, "--login", "--pin", UserPin,
            "--keypairgen", "--key-type", keyType, "--label", label, "--id", idHex);

    /// <summary>
    /// The public key as pkcs11-tool exports it, re-encoded by OpenSSL as DER SubjectPublicKeyInfo.
    /// OpenSC 0.23 cannot export P-384 keys ("cannot create EVP_PKEY"); then the key is rebuilt by
    /// OpenSSL from the EC_POINT and EC_PARAMS that pkcs11-tool lists.
    /// </summary>
    public async Task<byte[]> ExportPublicKeyAsync(string label)
    {
        var exported = directory.Combine($"{label}.pub.p11");
        var normalised = directory.Combine($"{label}.pub.der");
        var read = await Pkcs11ToolAsync("--read-object", "--type", "pubkey", "--label", label, "-o", exported);
        if (read.ExitCode != 0)
        {
            if (!read.StandardError.Contains("cannot create EVP_PKEY", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"pkcs11-tool --read-object failed: {read}");
            }

            await RebuildEcPublicKeyAsync(label, exported);
        }

        await RunAsync("openssl", "pkey", "-pubin", "-inform", "DER", "-in", exported, "-outform", "DER", "-out", normalised);
        return await File.ReadAllBytesAsync(normalised);
    }

    /// <summary>The block pkcs11-tool --list-objects prints for the object with this label and type (pubkey, privkey, cert).</summary>
    public async Task<string> DescribeObjectAsync(string type, string label)
    {
        var listed = await Pkcs11ToolAsync("--login", "--pin", UserPin, "--list-objects", "--type", type);
        if (listed.ExitCode != 0)
        {
            throw new InvalidOperationException($"pkcs11-tool --list-objects failed: {listed}");
        }

        var blocks = listed.StandardOutput.Split(" Object;", StringSplitOptions.None);
        var matching = blocks.Where(b => b.Split('\n').Any(line => line.Trim() == $"label:      {label}")).ToList();
        return matching.Count == 1 ? matching[0] : throw new InvalidOperationException($"{matching.Count} {type} objects labelled {label}:\n{listed}");
    }

    private async Task RebuildEcPublicKeyAsync(string label, string output)
    {
        var block = await DescribeObjectAsync("pubkey", label);
        string Field(string name) => block.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        var point = Convert.FromHexString(Field("EC_POINT"));
        var parameters = directory.Combine($"{label}.params.der");
        await File.WriteAllBytesAsync(parameters, Convert.FromHexString(Field("EC_PARAMS")));
        var parsed = await ProcessRunner.RunAsync("openssl", ["asn1parse", "-inform", "DER", "-in", parameters]);
        var curve = parsed.StandardOutput.Split(':').Last().Trim();

        // EC_POINT is a DER OCTET STRING (short-form length for P-256/P-384): 04 LL <point>.
        var raw = point[2..];
        var config = directory.Combine($"{label}.spki.cnf");
        await File.WriteAllTextAsync(config,
            $"asn1=SEQUENCE:spki\n[spki]\nalgorithm=SEQUENCE:algorithm\nkey=FORMAT:HEX,BITSTRING:{Convert.ToHexString(raw)}\n[algorithm]\ntype=OID:id-ecPublicKey\ncurve=OID:{curve}\n");
        await RunAsync("openssl", "asn1parse", "-genconf", config, "-noout", "-out", output);
    }

    /// <summary>Runs pkcs11-tool against this token with extra arguments and returns the result, whatever it is.</summary>
    public Task<ProcessResult> Pkcs11ToolAsync(params string[] arguments) =>
        ProcessRunner.RunAsync("pkcs11-tool", ["--module", ModulePath, "--token-label", TokenLabel, .. arguments], environment: Environment);

    public void Dispose()
    {
        if (System.Environment.GetEnvironmentVariable("SOFTHSM2_CONF") == ConfigPath)
        {
            SetProcessEnvironment("SOFTHSM2_CONF", null);
        }

        directory.Dispose();
    }

    // On Unix, Environment.SetEnvironmentVariable changes only .NET's copy of the environment;
    // SoftHSM calls getenv() in C_Initialize, so the native environment must change too.
    private static void SetProcessEnvironment(string name, string? value)
    {
        System.Environment.SetEnvironmentVariable(name, value);
        var rc = value is null ? NativeMethods.unsetenv(name) : NativeMethods.setenv(name, value, 1);
        if (rc != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private async Task RunAsync(string tool, params string[] arguments)
    {
        ProcessResult result;
        try
        {
            result = await ProcessRunner.RunAsync(tool, arguments, environment: Environment);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed: install softhsm2 and opensc (test.sh does).", e);
        }

        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {arguments[0]} failed: {result}");
        }
    }
}

internal static class NativeMethods
{
    [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "unsetenv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    internal static extern int unsetenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
