using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PipelinePki.Core;

namespace PipelinePki.Sources.Acme;

/// <summary>An account as the CLI shows it: where it lives, never its key.</summary>
public sealed record AcmeAccountInfo(
    string Directory,
    string AccountUrl,
    string Status,
    string KeyType,
    string KeyThumbprint,
    IReadOnlyList<string> Contact,
    string KeyFile,
    bool Created,
    bool ExternalAccountBound);

/// <summary>
/// An authenticated conversation with one ACME server: the account (loaded from the state
/// directory or registered) and the signed requests made with its key.
/// </summary>
internal sealed class AcmeSession(AcmeConnection connection, AcmeSourceOptions options, ILogger logger) : IDisposable
{
    private readonly AcmeAccountStore store = new(options.StateDirectory, options.DirectoryUrl);
    private AccountKey? key;
    private string? accountUrl;

    public AcmeConnection Connection => connection;

    public AccountKey Key => key ?? throw new InvalidOperationException("no account yet");

    public string AccountUrl => accountUrl ?? throw new InvalidOperationException("no account yet");

    public AcmeAccountStore Store => store;

    /// <summary>Loads the stored account, or registers one when <paramref name="create"/> (RFC 8555 §7.3).</summary>
    public async Task<AcmeAccountInfo> OpenAccountAsync(bool create, CancellationToken cancellationToken)
    {
        var directory = await connection.DirectoryAsync(cancellationToken);
        if (store.TryLoad() is { } stored)
        {
            key = stored.Key;
            accountUrl = stored.Record.AccountUrl;
            return Describe(stored.Record, "valid (stored)", created: false, bound: false);
        }

        if (!create)
        {
            throw new BadInputException($"--state: no ACME account for {options.DirectoryUrl} under {store.AccountDirectory}; create one with 'pipeline-pki acme account --create' (or any 'cert issue --source acme').");
        }

        if (directory.Meta?.ExternalAccountRequired == true && options.ExternalAccountKeyId is null)
        {
            throw new PolicyViolationException("acme-externalAccountRequired", $"the ACME server requires an external account binding, {options.DirectoryUrl}; pass --eab-kid and --eab-hmac-env with the key id and MAC key your CA issued.");
        }

        if (directory.Meta?.TermsOfService is { } terms)
        {
            options.Progress?.Report($"acme: agreeing to the CA's terms of service at {terms}");
        }

        var newKey = AccountKey.Generate(options.AccountKeyType);
        try
        {
            var binding = options.ExternalAccountKeyId is { } kid
                ? ExternalAccountBinding.Create(kid, options.ExternalAccountMacKey!, newKey.Jwk, directory.NewAccount)
                : null;
            var payload = JsonSerializer.SerializeToUtf8Bytes(
                new NewAccountPayload(true, options.Contacts.Count > 0 ? options.Contacts : null, binding, null),
                AcmeJson.Default.NewAccountPayload);
            var response = await connection.PostAsync(
                directory.NewAccount,
                "newAccount",
                nonce => newKey.Sign(new JwsProtectedHeader(newKey.Algorithm, newKey.Jwk, null, nonce, directory.NewAccount), payload),
                cancellationToken);
            var location = response.Location
                ?? throw new RemoteFailureException(directory.NewAccount, $"the ACME server created an account but sent no Location, {directory.NewAccount}; this server does not follow RFC 8555 §7.3.");
            var resource = AcmeJson.Parse(response.Body, AcmeJson.Default.AcmeAccountResource, "account", location);
            var record = new AcmeAccountRecord(options.DirectoryUrl.ToString(), location, newKey.KeyType, resource.Contact ?? options.Contacts, connection.Time.GetUtcNow());
            store.Save(newKey, record);
            key = newKey;
            accountUrl = location;
            logger.LogInformation("registered ACME account {Account}", location);
            options.Progress?.Report($"acme: registered account {location}");
            return Describe(record, resource.Status ?? "valid", created: response.Status == HttpStatusCode.Created, bound: binding is not null);
        }
        catch
        {
            if (key != newKey)
            {
                newKey.Dispose();
            }

            throw;
        }
    }

    /// <summary>POST-as-GET the account: proves the server still knows it and the key still works.</summary>
    public async Task<AcmeAccountInfo> FetchAccountAsync(CancellationToken cancellationToken)
    {
        var response = await PostAsync(AccountUrl, "account", null, cancellationToken);
        var resource = AcmeJson.Parse(response.Body, AcmeJson.Default.AcmeAccountResource, "account", AccountUrl);
        var record = store.TryLoad()!.Value.Record;
        return Describe(record with { Contact = resource.Contact ?? record.Contact }, resource.Status ?? "unknown", created: false, bound: false);
    }

    /// <summary>Signed with the account's kid; <paramref name="payload"/> null = POST-as-GET.</summary>
    public Task<AcmeResponse> PostAsync(string url, string operation, byte[]? payload, CancellationToken cancellationToken, string? accept = null)
    {
        var account = Key;
        var kid = AccountUrl;
        return connection.PostAsync(url, operation, nonce => account.Sign(new JwsProtectedHeader(account.Algorithm, null, kid, nonce, url), payload), cancellationToken, accept);
    }

    /// <summary>RFC 8555 §7.3.5: the new key signs the inner JWS, the old key the outer one; then the stored key is replaced.</summary>
    public async Task<AcmeAccountInfo> RollOverKeyAsync(CancellationToken cancellationToken)
    {
        var directory = await connection.DirectoryAsync(cancellationToken);
        var keyChange = directory.KeyChange
            ?? throw new RemoteFailureException(options.DirectoryUrl.ToString(), $"the ACME server offers no keyChange, {options.DirectoryUrl}; it does not support key rollover.");
        var oldKey = Key;
        var newKey = AccountKey.Generate(oldKey.KeyType);
        var inner = newKey.Sign(
            new JwsProtectedHeader(newKey.Algorithm, newKey.Jwk, null, null, keyChange),
            JsonSerializer.SerializeToUtf8Bytes(new KeyChangePayload(AccountUrl, oldKey.Jwk), AcmeJson.Default.KeyChangePayload));
        await PostAsync(keyChange, "keyChange", JsonSerializer.SerializeToUtf8Bytes(inner, AcmeJson.Default.JwsMessage), cancellationToken);
        store.ReplaceKey(newKey);
        key = newKey;
        oldKey.Dispose();
        var record = store.TryLoad()!.Value.Record;
        return Describe(record, "valid", created: false, bound: false);
    }

    private AcmeAccountInfo Describe(AcmeAccountRecord record, string status, bool created, bool bound) =>
        new(record.Directory, record.AccountUrl, status, Key.KeyType, Key.Thumbprint, record.Contact, store.KeyPath, created, bound);

    public void Dispose() => key?.Dispose();
}
