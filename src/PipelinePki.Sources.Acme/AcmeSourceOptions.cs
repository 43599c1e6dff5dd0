using PipelinePki.Core;

namespace PipelinePki.Sources.Acme;

/// <summary>Which challenge proves control of the names.</summary>
public enum AcmeChallengeKind
{
    /// <summary>RFC 8555 §8.3: the tool serves the key authorization on <see cref="AcmeSourceOptions.HttpPort"/>.</summary>
    Http01,

    /// <summary>RFC 8555 §8.4: the <see cref="AcmeSourceOptions.DnsHook"/> command publishes a TXT record.</summary>
    Dns01,
}

/// <summary>
/// Everything the ACME source needs for one run. The EAB MAC key is held here only in memory (read
/// from the environment variable the user named); it is never logged, recorded or printed.
/// </summary>
public sealed record AcmeSourceOptions
{
    public required Uri DirectoryUrl { get; init; }

    /// <summary>Directory holding account keys (0600) and the ACME inventory.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>PEM bundle trusted for the ACME server's own TLS; null = the system trust store.</summary>
    public string? CaBundlePath { get; init; }

    public IReadOnlyList<string> Contacts { get; init; } = [];

    /// <summary>ES256 (ecdsa-p256) or ES384 (ecdsa-p384, the default) account key, used when an account is created.</summary>
    public string AccountKeyType { get; init; } = AccountKey.DefaultKeyType;

    public string? ExternalAccountKeyId { get; init; }

    /// <summary>The EAB MAC key, base64url as CAs hand it out. Secret: never logged.</summary>
    public string? ExternalAccountMacKey { get; init; }

    public int HttpPort { get; init; } = 80;

    /// <summary>Address the http-01 responder binds (all interfaces by default: the CA connects from outside).</summary>
    public string HttpBindAddress { get; init; } = "0.0.0.0";

    /// <summary>Shell command for dns-01 (see <see cref="DnsHook"/> for its calling convention); null = http-01.</summary>
    public string? DnsHook { get; init; }

    /// <summary>Prefer the chain (default or alternate) whose topmost certificate was issued by this CN.</summary>
    public string? PreferredChain { get; init; }

    /// <summary>Upper bound for the whole operation, retries and validation included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Progress lines (stderr in the CLI): long waits must be visible in CI logs.</summary>
    public IProgress<string>? Progress { get; init; }

    public AcmeChallengeKind Challenge => DnsHook is null ? AcmeChallengeKind.Http01 : AcmeChallengeKind.Dns01;

    public void Validate()
    {
        if (DirectoryUrl.Scheme is not ("https" or "http"))
        {
            throw new UsageException($"--acme-directory: '{DirectoryUrl}' is not an http(s) URL; give the CA's directory URL (for example https://acme.example/directory).");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new UsageException("--acme-timeout: must be longer than zero (for example 5m).");
        }

        if (HttpPort is < 1 or > 65535)
        {
            throw new UsageException($"--http-port: {HttpPort} is not a TCP port (1-65535).");
        }

        if ((ExternalAccountKeyId is null) != (ExternalAccountMacKey is null))
        {
            throw new UsageException("--eab-kid and --eab-hmac-env go together: the CA gave you both a key id and a MAC key.");
        }

        if (!string.IsNullOrWhiteSpace(DnsHook) && DnsHook.Contains('\0', StringComparison.Ordinal))
        {
            throw new UsageException("--dns-hook: the command contains a NUL character.");
        }
    }
}
