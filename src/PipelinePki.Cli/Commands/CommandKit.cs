using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Inventory;

namespace PipelinePki.Cli.Commands;

/// <summary>Options several commands share, and the few lookups every command needs.</summary>
internal static class CommandKit
{
    public const string HomeVariable = "PIPELINE_PKI_HOME";
    public const string DefaultPassphraseVariable = "PIPELINE_PKI_CA_PASSPHRASE";

    public static Option<string?> HomeOption() => new("--home")
    {
        Description = $"CA home directory (default ${HomeVariable}, else ./{LocalCaHome.DefaultDirectory}).",
    };

    public static Option<string> PassphraseEnvOption() => new("--passphrase-env")
    {
        Description = "Name of the environment variable holding the CA key passphrase.",
        DefaultValueFactory = _ => DefaultPassphraseVariable,
    };

    public static Option<string> FormatOption(params string[] formats)
    {
        var option = new Option<string>("--format", "-f")
        {
            Description = $"Output format: {string.Join(", ", formats)}.",
            DefaultValueFactory = _ => formats[0],
        };
        option.AcceptOnlyFromAmong(formats);
        return option;
    }

    public static string ResolveHome(CliApp app, string? home) =>
        home ?? (app.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : LocalCaHome.DefaultDirectory);

    /// <summary>Reads the passphrase from the named variable only when a key actually needs it.</summary>
    public static PassphraseProvider Passphrase(CliApp app, string variable)
    {
        if (string.IsNullOrWhiteSpace(variable))
        {
            throw new UsageException("--passphrase-env: give the name of an environment variable.");
        }

        // The cast matters: a bare null would convert through char[] to an empty, non-null ReadOnlyMemory.
        return () => app.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value.AsMemory() : (ReadOnlyMemory<char>?)null;
    }

    public static Requester Requester(CliApp app, ParseResult parseResult) =>
        app.Ci.DescribeRequester(app.Ci.Detect(parseResult.GetValue(app.CiOption) ?? "auto"));

    /// <summary>One JSON document on stdout for <c>--format json</c>, otherwise the text rendering.</summary>
    /// <remarks>The type info comes through a delegate: creating it costs most of a millisecond, which text output should not pay.</remarks>
    public static void Render<T>(CliApp app, string? format, T value, Func<JsonTypeInfo<T>> json, Action<TextWriter, T> text)
    {
        if (format == "json")
        {
            app.Output.WriteLine(JsonSerializer.Serialize(value, json()));
        }
        else
        {
            text(app.Output, value);
        }
    }

    /// <summary>Where Debian, Ubuntu and Alpine keep the system trust bundle; SSL_CERT_FILE overrides it.</summary>
    public const string SystemTrustBundle = "/etc/ssl/certs/ca-certificates.crt";

    /// <summary>The --trust files given, else the system bundle (for live endpoints, which usually chain to public roots).</summary>
    public static string[] TrustFilesOrSystem(CliApp app, string[]? given) =>
        given is { Length: > 0 } ? given : [app.GetEnvironmentVariable("SSL_CERT_FILE") is { Length: > 0 } env ? env : SystemTrustBundle];
}
