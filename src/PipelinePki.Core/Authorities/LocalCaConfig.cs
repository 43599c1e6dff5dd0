using System.Text.Json;
using System.Text.Json.Serialization;
using PipelinePki.Core.IO;

namespace PipelinePki.Core.Authorities;

/// <summary>The CA home's <c>ca.json</c>: what <c>ca init</c> decided, read by every later command.</summary>
public sealed record LocalCaConfig(
    int Schema,
    string Name,
    DateTimeOffset CreatedAt,
    bool KeysEncrypted,
    string RootKeyType,
    string IntermediateKeyType,
    IReadOnlyList<string> PermittedDns,
    IReadOnlyList<string> PermittedUris,
    string? CrlUrl = null,
    string? RootCrlUrl = null,
    string? IssuerUrl = null,
    string? OcspUrl = null,
    int IntermediateGeneration = 1,
    string? TsaPolicyOid = null,
    string? RootKeyUri = null,
    string? IntermediateKeyUri = null,
    string? Pkcs11Module = null,
    string? Pkcs11PinEnv = null)
{
    public const int CurrentSchema = 1;

    /// <summary>Where the token PIN is read from when <c>ca init</c> was not given <c>--pin-env</c>.</summary>
    public const string DefaultPinVariable = "PIPELINE_PKI_PKCS11_PIN";

    /// <summary>How to open a CA key that lives on a token: its URI, the recorded module, and the PIN's variable (never the PIN).</summary>
    public Keys.ExternalKeyReference ExternalKey(string uri) => new(uri, Pkcs11Module, Pkcs11PinEnv ?? DefaultPinVariable);
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LocalCaConfig))]
internal sealed partial class LocalCaJson : JsonSerializerContext;

/// <summary>The files of a local CA home and how to read them.</summary>
public sealed class LocalCaHome
{
    public const string DefaultDirectory = ".pipeline-pki";

    private LocalCaHome(string directory, LocalCaConfig config)
    {
        Directory = directory;
        Config = config;
    }

    public string Directory { get; }

    public LocalCaConfig Config { get; }

    public string RootCertificatePath => PathOf(Directory, "root.pem");

    public string IntermediateCertificatePath => PathOf(Directory, "intermediate.pem");

    public string RootKeyPath => PathOf(Directory, "root.key.pem");

    public string IntermediateKeyPath => PathOf(Directory, "intermediate.key.pem");

    public string InventoryPath => PathOf(Directory, "inventory.db");

    /// <summary>The CA's own RFC 3161 timestamping certificate (issued by the intermediate) and its key.</summary>
    public string TsaCertificatePath => PathOf(Directory, "tsa.pem");

    public string TsaKeyPath => PathOf(Directory, "tsa.key.pem");

    public string ArchiveDirectory => PathOf(Directory, "archive");

    public static string ConfigPath(string directory) => PathOf(directory, "ca.json");

    public static bool Exists(string directory) => File.Exists(ConfigPath(directory));

    public static LocalCaHome Open(string directory)
    {
        var full = Path.GetFullPath(directory);
        var configPath = ConfigPath(full);
        if (!File.Exists(configPath))
        {
            throw new BadInputException($"{full}: no local CA here (ca.json missing); create one with 'pipeline-pki ca init --home {directory}' or point --home / PIPELINE_PKI_HOME at an existing one.");
        }

        LocalCaConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(File.ReadAllBytes(configPath), LocalCaJson.Default.LocalCaConfig);
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{configPath}: malformed CA configuration ({e.Message}).", e);
        }

        if (config is null || config.Schema != LocalCaConfig.CurrentSchema)
        {
            throw new BadInputException($"{configPath}: unsupported CA configuration schema; this version reads schema {LocalCaConfig.CurrentSchema}.");
        }

        return new LocalCaHome(full, config);
    }

    internal static LocalCaHome Create(string directory, LocalCaConfig config)
    {
        var full = Path.GetFullPath(directory);
        var home = new LocalCaHome(full, config);
        home.SaveConfig();
        return home;
    }

    internal LocalCaHome WithConfig(LocalCaConfig config)
    {
        var home = new LocalCaHome(Directory, config);
        home.SaveConfig();
        return home;
    }

    private void SaveConfig() =>
        AtomicFile.Write(ConfigPath(Directory), JsonSerializer.SerializeToUtf8Bytes(Config, LocalCaJson.Default.LocalCaConfig), secret: false);

    private static string PathOf(string directory, string name) => Path.Combine(directory, name);
}
