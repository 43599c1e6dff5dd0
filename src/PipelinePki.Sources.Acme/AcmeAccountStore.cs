using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PipelinePki.Core;
using PipelinePki.Core.IO;

namespace PipelinePki.Sources.Acme;

/// <summary>
/// The state directory: one folder per ACME directory URL holding <c>account.key.pem</c> (0600) and
/// <c>account.json</c> (account URL, key type, contact — nothing secret), and the ACME inventory.
/// </summary>
internal sealed class AcmeAccountStore(string stateDirectory, Uri directoryUrl)
{
    public string AccountDirectory { get; } = Path.Combine(
        Path.GetFullPath(stateDirectory),
        "accounts",
        $"{directoryUrl.Host}-{directoryUrl.Port}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(directoryUrl.ToString())))[..12]}");

    public string KeyPath => Path.Combine(AccountDirectory, "account.key.pem");

    public string RecordPath => Path.Combine(AccountDirectory, "account.json");

    public string InventoryPath => Path.Combine(Path.GetFullPath(stateDirectory), "inventory.db");

    public bool Exists => File.Exists(KeyPath) && File.Exists(RecordPath);

    public (AccountKey Key, AcmeAccountRecord Record)? TryLoad()
    {
        if (!Exists)
        {
            return null;
        }

        AcmeAccountRecord record;
        try
        {
            record = JsonSerializer.Deserialize(File.ReadAllBytes(RecordPath), AcmeJson.Default.AcmeAccountRecord)
                ?? throw new JsonException("empty");
        }
        catch (JsonException)
        {
            throw new BadInputException($"{RecordPath}: not an account record written by pipeline-pki; remove {AccountDirectory} to register a new account.");
        }

        return (AccountKey.FromPem(File.ReadAllText(KeyPath), KeyPath), record);
    }

    /// <summary>Saves the key first (0600): a crash after that leaves a key without a record, which the next run replaces.</summary>
    public void Save(AccountKey key, AcmeAccountRecord record)
    {
        AtomicFile.CreatePrivateDirectory(AccountDirectory);
        AtomicFile.WriteText(KeyPath, key.ToPem(), secret: true);
        AtomicFile.Write(RecordPath, JsonSerializer.SerializeToUtf8Bytes(record, AcmeJson.Default.AcmeAccountRecord), secret: false);
    }

    /// <summary>After a key rollover: the new key replaces the old one, the old one is not kept.</summary>
    public void ReplaceKey(AccountKey key) => AtomicFile.WriteText(KeyPath, key.ToPem(), secret: true);
}
