using System.Globalization;
using System.Runtime.InteropServices;
using PipelinePki.Hsm.Interop;
using PipelinePki.TestKit;

namespace PipelinePki.Hsm.Tests;

/// <summary>
/// Pins our PKCS#11 structures to the C ABI: gcc compiles p11-kit's pkcs11.h (Debian
/// libp11-kit-dev, installed by test.sh) and prints sizeof/offsetof for every field we declare;
/// each must equal what the runtime lays out for our structs.
/// </summary>
public sealed class Pkcs11AbiTests
{
    private const string Header = "/usr/include/p11-kit-1/p11-kit/pkcs11.h";

    // C expression (struct, field) → our (type, field).
    private static readonly (string CStruct, string CField, Type Ours, string OurField)[] Fields =
    [
        ("ck_version", "major", typeof(CkVersion), nameof(CkVersion.Major)),
        ("ck_version", "minor", typeof(CkVersion), nameof(CkVersion.Minor)),
        ("ck_token_info", "label", typeof(CkTokenInfo), "Label"),
        ("ck_token_info", "manufacturer_id", typeof(CkTokenInfo), "ManufacturerId"),
        ("ck_token_info", "model", typeof(CkTokenInfo), "Model"),
        ("ck_token_info", "serial_number", typeof(CkTokenInfo), "SerialNumber"),
        ("ck_token_info", "flags", typeof(CkTokenInfo), nameof(CkTokenInfo.Flags)),
        ("ck_token_info", "max_session_count", typeof(CkTokenInfo), nameof(CkTokenInfo.MaxSessionCount)),
        ("ck_token_info", "free_private_memory", typeof(CkTokenInfo), nameof(CkTokenInfo.FreePrivateMemory)),
        ("ck_token_info", "hardware_version", typeof(CkTokenInfo), nameof(CkTokenInfo.HardwareVersion)),
        ("ck_token_info", "firmware_version", typeof(CkTokenInfo), nameof(CkTokenInfo.FirmwareVersion)),
        ("ck_token_info", "utc_time", typeof(CkTokenInfo), "UtcTime"),
        ("ck_attribute", "type", typeof(CkAttribute), nameof(CkAttribute.Type)),
        ("ck_attribute", "value", typeof(CkAttribute), nameof(CkAttribute.Value)),
        ("ck_attribute", "value_len", typeof(CkAttribute), nameof(CkAttribute.ValueLength)),
        ("ck_mechanism", "mechanism", typeof(CkMechanism), nameof(CkMechanism.Mechanism)),
        ("ck_mechanism", "parameter", typeof(CkMechanism), nameof(CkMechanism.Parameter)),
        ("ck_mechanism", "parameter_len", typeof(CkMechanism), nameof(CkMechanism.ParameterLength)),
        ("ck_c_initialize_args", "create_mutex", typeof(CkInitializeArgs), nameof(CkInitializeArgs.CreateMutex)),
        ("ck_c_initialize_args", "unlock_mutex", typeof(CkInitializeArgs), nameof(CkInitializeArgs.UnlockMutex)),
        ("ck_c_initialize_args", "flags", typeof(CkInitializeArgs), nameof(CkInitializeArgs.Flags)),
        ("ck_c_initialize_args", "reserved", typeof(CkInitializeArgs), nameof(CkInitializeArgs.Reserved)),
    ];

    private static readonly (string CStruct, Type Ours)[] Structs =
    [
        ("ck_version", typeof(CkVersion)),
        ("ck_token_info", typeof(CkTokenInfo)),
        ("ck_attribute", typeof(CkAttribute)),
        ("ck_mechanism", typeof(CkMechanism)),
        ("ck_c_initialize_args", typeof(CkInitializeArgs)),
        ("ck_function_list", typeof(CkFunctionList)),
    ];

    [Fact]
    public async Task Layout_EveryStructAndField_MatchesGccOnPkcs11Header()
    {
        var measured = await MeasureAsync(
            Structs.Select(s => ($"sizeof.{s.CStruct}", $"sizeof(struct {s.CStruct})"))
                .Concat(Fields.Select(f => ($"{f.CStruct}.{f.CField}", $"offsetof(struct {f.CStruct}, {f.CField})")))
                .Concat(FunctionListFields().Select(name => ($"ck_function_list.{name}", $"offsetof(struct ck_function_list, {name})")))
                .ToList());

        var mismatches = new List<string>();
        foreach (var (cStruct, ours) in Structs)
        {
            Compare(mismatches, $"sizeof.{cStruct}", measured, Marshal.SizeOf(ours));
        }

        foreach (var (cStruct, cField, ours, ourField) in Fields)
        {
            Compare(mismatches, $"{cStruct}.{cField}", measured, (int)Marshal.OffsetOf(ours, ourField));
        }

        foreach (var name in FunctionListFields())
        {
            Compare(mismatches, $"ck_function_list.{name}", measured, (int)Marshal.OffsetOf<CkFunctionList>(name));
        }

        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));

        // The numbers themselves, as the PKCS#11 v2.40 ABI has them on x86-64 Linux.
        Assert.Equal(8, Marshal.SizeOf<nuint>());
        Assert.Equal(208, Marshal.SizeOf<CkTokenInfo>());
        Assert.Equal(24, Marshal.SizeOf<CkAttribute>());
        Assert.Equal(8 + (68 * 8), Marshal.SizeOf<CkFunctionList>());
        Assert.Equal(8 + (43 * 8), (int)Marshal.OffsetOf<CkFunctionList>(nameof(CkFunctionList.C_Sign)));
    }

    [Fact]
    public void FunctionList_DeclaresAllSixtyEightEntryPointsInHeaderOrder()
    {
        var names = FunctionListFields();

        Assert.Equal(68, names.Count);
        Assert.Equal("C_Initialize", names[0]);
        Assert.Equal("C_GenerateKeyPair", names[59]);
        Assert.Equal("C_WaitForSlotEvent", names[67]);
    }

    private static List<string> FunctionListFields() =>
        typeof(CkFunctionList).GetFields().Where(f => f.Name.StartsWith("C_", StringComparison.Ordinal))
            .OrderBy(f => Marshal.OffsetOf<CkFunctionList>(f.Name)).Select(f => f.Name).ToList();

    private static void Compare(List<string> mismatches, string key, Dictionary<string, int> measured, int ours)
    {
        if (!measured.TryGetValue(key, out var theirs))
        {
            mismatches.Add($"{key}: not measured");
        }
        else if (theirs != ours)
        {
            mismatches.Add($"{key}: C says {theirs}, ours is {ours}");
        }
    }

    private static async Task<Dictionary<string, int>> MeasureAsync(IReadOnlyList<(string Key, string Expression)> probes)
    {
        Assert.True(File.Exists(Header), $"{Header} is missing: install libp11-kit-dev (test.sh does).");
        using var temp = new TempDirectory();
        var source = temp.Combine("abi.c");
        var program = temp.Combine("abi");
        var lines = string.Join('\n', probes.Select(p => $"  printf(\"%s=%zu\\n\", \"{p.Key}\", (size_t)({p.Expression}));"));
        await File.WriteAllTextAsync(source, $"#define CRYPTOKI_GNU 1\n#include <stddef.h>\n#include <stdio.h>\n#include \"{Header}\"\nint main(void) {{\n{lines}\n  return 0;\n}}\n");
        var compiled = await ProcessRunner.RunAsync("gcc", ["-o", program, source]);
        Assert.True(compiled.ExitCode == 0, $"gcc failed: {compiled}");
        var run = await ProcessRunner.RunAsync(program, []);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('='))
            .ToDictionary(parts => parts[0], parts => int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
