using System.Text.Json;
using System.Text.Json.Serialization;
using PipelinePki.Core.IO;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>One change setup is about to make, recorded before it is made.</summary>
/// <param name="Kind"><c>file</c> or <c>directory</c>.</param>
/// <param name="PreviousContent">Base64 of the file as it was (null when it did not exist). May hold tokens: the manifest is 0600 and never printed.</param>
/// <param name="PreviousMode">The Unix mode bits the file had.</param>
/// <param name="Secret">A key (or a file holding one): overwritten before it is unlinked.</param>
internal sealed record ManifestEntry(string Kind, string Path, string Target, bool Existed, string? PreviousContent, int? PreviousMode, bool Secret);

/// <summary>One variable setup exported, and what it was before (null: it was not set).</summary>
internal sealed record ManifestVariable(string Name, string Value, string? PreviousValue);

/// <summary>The write-ahead record of a setup: saved before every change, so teardown can reverse even a killed run.</summary>
internal sealed record MtlsManifest(
    int Version,
    DateTimeOffset StartedAt,
    bool Completed,
    bool StateDirectoryCreated,
    List<ManifestEntry> Entries,
    List<ManifestVariable> Environment);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MtlsManifest))]
internal sealed partial class MtlsManifestJson : JsonSerializerContext;

/// <summary>Reads and writes <c>STATE/manifest.json</c>.</summary>
internal static class MtlsManifestFile
{
    public const string FileName = "manifest.json";

    public static string PathIn(string stateDirectory) => System.IO.Path.Combine(stateDirectory, FileName);

    public static void Save(string stateDirectory, MtlsManifest manifest) =>
        AtomicFile.Write(PathIn(stateDirectory), JsonSerializer.SerializeToUtf8Bytes(manifest, MtlsManifestJson.Default.MtlsManifest), secret: true);

    public static MtlsManifest? TryLoad(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), MtlsManifestJson.Default.MtlsManifest)
                ?? throw new BadInputException($"{path}: empty setup manifest; remove the files it lists by hand.");
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{path}: not a setup manifest this version can read ({e.Message}); restore the files it lists by hand.", e);
        }
    }
}
