using System.CommandLine;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Keys;

namespace PipelinePki.Cli.Commands;

/// <summary>The options every command that can use a PKCS#11 key shares: the module and the PIN's variable.</summary>
internal static class Pkcs11Options
{
    public const string ModuleVariable = "PIPELINE_PKI_PKCS11_MODULE";

    public static Option<string?> Module() => new("--module")
    {
        Description = $"PKCS#11 module (shared library) for pkcs11: keys, e.g. /usr/lib/softhsm/libsofthsm2.so (default ${ModuleVariable}; a module-path in the URI wins).",
    };

    public static Option<string> PinEnv() => new("--pin-env")
    {
        Description = "Name of the environment variable holding the token's user PIN (the PIN itself is never an option).",
        DefaultValueFactory = _ => LocalCaConfig.DefaultPinVariable,
    };

    public static Option<string?> Uri(string name, string description) => new(name) { Description = description };

    public static bool IsPkcs11(string? reference) => reference is not null && reference.StartsWith("pkcs11:", StringComparison.OrdinalIgnoreCase);

    /// <summary>--module, else $PIPELINE_PKI_PKCS11_MODULE; a relative path is made absolute so ca.json stays valid from any directory.</summary>
    public static string? ResolveModule(CliApp app, ParseResult parse, Option<string?> module) =>
        (parse.GetValue(module) ?? (app.GetEnvironmentVariable(ModuleVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null)) is { } path
            ? Path.GetFullPath(path)
            : null;

    public static ExternalKeyReference Reference(CliApp app, ParseResult parse, string uri, Option<string?> module, Option<string> pinEnv) =>
        new(uri, ResolveModule(app, parse, module), parse.GetValue(pinEnv)!);
}
