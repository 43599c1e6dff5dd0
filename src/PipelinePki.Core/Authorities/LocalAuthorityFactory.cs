using Microsoft.Extensions.Logging;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Authorities;

/// <summary>
/// Opens a local CA home as a <see cref="LocalAuthority"/>; the home and passphrase are known only
/// per command. <paramref name="externalKeys"/> opens CA keys that live on a token (pkcs11: URIs in
/// ca.json); without one, such a CA cannot sign.
/// </summary>
public sealed class LocalAuthorityFactory(TimeProvider time, ILoggerFactory loggers, IExternalKeyProvider? externalKeys = null)
{
    public LocalAuthority Open(string home, PassphraseProvider passphrase) =>
        new(LocalCaHome.Open(home), passphrase, time, loggers.CreateLogger<LocalAuthority>(), externalKeys);
}
