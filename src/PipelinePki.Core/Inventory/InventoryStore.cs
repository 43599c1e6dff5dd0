using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace PipelinePki.Core.Inventory;

/// <summary>
/// The SQLite inventory of everything a CA issued. Several processes may issue at once: WAL mode,
/// a generous busy timeout and IMMEDIATE transactions (the writer lock is taken up front, so two
/// writers never deadlock upgrading a read lock) keep every row and every CRL number unique.
/// </summary>
public sealed class InventoryStore : IDisposable
{
    private const int SqliteConstraint = 19;
    private readonly SqliteConnection connection;
    private readonly string path;

    private InventoryStore(SqliteConnection connection, string path)
    {
        this.connection = connection;
        this.path = path;
    }

    public static InventoryStore Open(string databasePath)
    {
        SqliteConnection? connection = null;
        try
        {
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = databasePath,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Pooling = false,
                DefaultTimeout = 60,
            };
            connection = new SqliteConnection(builder.ToString());
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout = 60000;");
            Execute(connection, "PRAGMA journal_mode = WAL;");
            Execute(connection, "PRAGMA synchronous = FULL;");
            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                Execute(connection, Schema, transaction);
                transaction.Commit();
            }

            return new InventoryStore(connection, databasePath);
        }
        catch (SqliteException e)
        {
            connection?.Dispose();
            throw new BadInputException($"{databasePath}: cannot open the inventory ({e.Message}).", e);
        }
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS certificates (
            serial TEXT PRIMARY KEY,
            subject TEXT NOT NULL,
            issuer TEXT NOT NULL,
            issuer_key_id TEXT NOT NULL,
            sans TEXT NOT NULL,
            not_before TEXT NOT NULL,
            not_after TEXT NOT NULL,
            profile TEXT NOT NULL,
            key_type TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status TEXT NOT NULL,
            revoked_at TEXT,
            revocation_reason TEXT,
            source TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            issued_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS certificates_issuer ON certificates(issuer_key_id, status);
        CREATE TABLE IF NOT EXISTS crl_state (
            issuer_key_id TEXT PRIMARY KEY,
            crl_number INTEGER NOT NULL,
            this_update TEXT NOT NULL,
            next_update TEXT NOT NULL
        );
        """;

    /// <summary>Adds a record; false when the serial already exists (the caller draws a new serial and re-signs).</summary>
    public bool TryAdd(InventoryRecord record)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO certificates (serial, subject, issuer, issuer_key_id, sans, not_before, not_after, profile, key_type,
                fingerprint, status, revoked_at, revocation_reason, source, requested_by, issued_at)
            VALUES ($serial, $subject, $issuer, $issuerKeyId, $sans, $notBefore, $notAfter, $profile, $keyType,
                $fingerprint, $status, $revokedAt, $reason, $source, $requestedBy, $issuedAt);
            """;
        command.Parameters.AddWithValue("$serial", record.Serial);
        command.Parameters.AddWithValue("$subject", record.Subject);
        command.Parameters.AddWithValue("$issuer", record.Issuer);
        command.Parameters.AddWithValue("$issuerKeyId", record.IssuerKeyId);
        command.Parameters.AddWithValue("$sans", JsonSerializer.Serialize(record.SubjectAlternativeNames.ToArray(), InventoryJson.Default.StringArray));
        command.Parameters.AddWithValue("$notBefore", Time(record.NotBefore));
        command.Parameters.AddWithValue("$notAfter", Time(record.NotAfter));
        command.Parameters.AddWithValue("$profile", record.Profile);
        command.Parameters.AddWithValue("$keyType", record.KeyType);
        command.Parameters.AddWithValue("$fingerprint", record.Sha256Fingerprint);
        command.Parameters.AddWithValue("$status", record.Status);
        command.Parameters.AddWithValue("$revokedAt", record.RevokedAt is { } at ? Time(at) : DBNull.Value);
        command.Parameters.AddWithValue("$reason", (object?)record.RevocationReason ?? DBNull.Value);
        command.Parameters.AddWithValue("$source", record.Source);
        command.Parameters.AddWithValue("$requestedBy", JsonSerializer.Serialize(record.RequestedBy, InventoryJson.Default.Requester));
        command.Parameters.AddWithValue("$issuedAt", Time(record.IssuedAt));
        try
        {
            command.ExecuteNonQuery();
            transaction.Commit();
            return true;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
        {
            transaction.Rollback();
            return false;
        }
    }

    public InventoryRecord? Find(string serial)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM certificates WHERE serial = $serial;";
        command.Parameters.AddWithValue("$serial", NormalizeSerial(serial));
        return Read(command).FirstOrDefault();
    }

    public IReadOnlyList<InventoryRecord> List()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM certificates ORDER BY issued_at, serial;";
        return Read(command);
    }

    public IReadOnlyList<InventoryRecord> RevokedBy(string issuerKeyId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM certificates WHERE issuer_key_id = $issuer AND status = 'revoked' ORDER BY revoked_at, serial;";
        command.Parameters.AddWithValue("$issuer", issuerKeyId);
        return Read(command);
    }

    /// <summary>Marks a certificate revoked. Revoking twice keeps the first time and reason (a CRL must not move a revocation date).</summary>
    public InventoryRecord Revoke(string serial, string reason, DateTimeOffset at)
    {
        var normalized = NormalizeSerial(serial);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE certificates SET status = 'revoked', revoked_at = $at, revocation_reason = $reason
            WHERE serial = $serial AND status <> 'revoked';
            """;
        command.Parameters.AddWithValue("$serial", normalized);
        command.Parameters.AddWithValue("$at", Time(at));
        command.Parameters.AddWithValue("$reason", reason);
        command.ExecuteNonQuery();
        transaction.Commit();
        return Find(normalized) ?? throw new BadInputException(
            $"{path}: no certificate with serial {normalized} in this CA's inventory; list serials with 'pipeline-pki ca inventory'.");
    }

    /// <summary>Takes the next CRL number for an issuer and records the new CRL's times, atomically.</summary>
    public long NextCrlNumber(string issuerKeyId, DateTimeOffset thisUpdate, DateTimeOffset nextUpdate)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO crl_state (issuer_key_id, crl_number, this_update, next_update) VALUES ($issuer, 1, $this, $next)
            ON CONFLICT(issuer_key_id) DO UPDATE SET crl_number = crl_number + 1, this_update = $this, next_update = $next;
            SELECT crl_number FROM crl_state WHERE issuer_key_id = $issuer;
            """;
        command.Parameters.AddWithValue("$issuer", issuerKeyId);
        command.Parameters.AddWithValue("$this", Time(thisUpdate));
        command.Parameters.AddWithValue("$next", Time(nextUpdate));
        var number = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        transaction.Commit();
        return number;
    }

    public IReadOnlyList<CrlState> CrlStates()
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT issuer_key_id, crl_number, this_update, next_update FROM crl_state;";
        using var reader = command.ExecuteReader();
        var states = new List<CrlState>();
        while (reader.Read())
        {
            states.Add(new CrlState(reader.GetString(0), reader.GetInt64(1), ParseTime(reader.GetString(2)), ParseTime(reader.GetString(3))));
        }

        return states;
    }

    public static string NormalizeSerial(string serial)
    {
        var hex = serial.Replace(":", string.Empty, StringComparison.Ordinal).Trim().ToUpperInvariant();
        if (hex.StartsWith("0X", StringComparison.Ordinal))
        {
            hex = hex[2..];
        }

        if (hex.Length == 0 || hex.Any(c => !char.IsAsciiHexDigit(c)))
        {
            throw new UsageException($"--serial: '{serial}' is not a hexadecimal serial number (as 'ca inventory' or 'openssl x509 -serial' print it).");
        }

        hex = hex.TrimStart('0');
        return hex.Length % 2 == 1 ? "0" + hex : hex.Length == 0 ? "00" : hex;
    }

    public void Dispose() => connection.Dispose();

    private static List<InventoryRecord> Read(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var records = new List<InventoryRecord>();
        while (reader.Read())
        {
            records.Add(new InventoryRecord(
                Serial: reader.GetString(reader.GetOrdinal("serial")),
                Subject: reader.GetString(reader.GetOrdinal("subject")),
                Issuer: reader.GetString(reader.GetOrdinal("issuer")),
                IssuerKeyId: reader.GetString(reader.GetOrdinal("issuer_key_id")),
                SubjectAlternativeNames: JsonSerializer.Deserialize(reader.GetString(reader.GetOrdinal("sans")), InventoryJson.Default.StringArray) ?? [],
                NotBefore: ParseTime(reader.GetString(reader.GetOrdinal("not_before"))),
                NotAfter: ParseTime(reader.GetString(reader.GetOrdinal("not_after"))),
                Profile: reader.GetString(reader.GetOrdinal("profile")),
                KeyType: reader.GetString(reader.GetOrdinal("key_type")),
                Sha256Fingerprint: reader.GetString(reader.GetOrdinal("fingerprint")),
                Status: reader.GetString(reader.GetOrdinal("status")),
                RevokedAt: reader.IsDBNull(reader.GetOrdinal("revoked_at")) ? null : ParseTime(reader.GetString(reader.GetOrdinal("revoked_at"))),
                RevocationReason: reader.IsDBNull(reader.GetOrdinal("revocation_reason")) ? null : reader.GetString(reader.GetOrdinal("revocation_reason")),
                Source: reader.GetString(reader.GetOrdinal("source")),
                RequestedBy: JsonSerializer.Deserialize(reader.GetString(reader.GetOrdinal("requested_by")), InventoryJson.Default.Requester) ?? Requester.Unknown,
                IssuedAt: ParseTime(reader.GetString(reader.GetOrdinal("issued_at")))));
        }

        return records;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
