using Microsoft.Extensions.Logging;

namespace PipelinePki.Core.Authorities;

/// <summary>Opens a local CA home as a <see cref="LocalAuthority"/>; the home and passphrase are known only per command.</summary>
public sealed class LocalAuthorityFactory(TimeProvider time, ILoggerFactory loggers)
{
    public LocalAuthority Open(string home, PassphraseProvider passphrase) =>
        new(LocalCaHome.Open(home), passphrase, time, loggers.CreateLogger<LocalAuthority>());
}
