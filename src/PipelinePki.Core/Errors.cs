namespace PipelinePki.Core;

/// <summary>
/// The one base of every failure the product reports on purpose. The CLI maps each subtype to an
/// exit code; nothing below the CLI knows the numbers. Messages are single lines that name the
/// file or endpoint and say what to do, and never carry key material, tokens or passphrases.
/// </summary>
public abstract class PipelinePkiException : Exception
{
    protected PipelinePkiException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The caller asked for something the command grammar does not allow (bad value, missing argument).</summary>
public sealed class UsageException(string message, Exception? innerException = null)
    : PipelinePkiException(message, innerException);

/// <summary>An input could not be read or understood: missing or malformed file, wrong passphrase.</summary>
public sealed class BadInputException(string message, Exception? innerException = null)
    : PipelinePkiException(message, innerException);

/// <summary>The object was read fine but is not valid: untrusted, bad signature, expired, revoked, wrong purpose.</summary>
public sealed class NotValidException(string message, Exception? innerException = null)
    : PipelinePkiException(message, innerException);

/// <summary>A rule forbids the request (issuance or verification policy, CA limits such as its own validity).</summary>
public sealed class PolicyViolationException(string rule, string message)
    : PipelinePkiException(message)
{
    /// <summary>The name of the rule that refused, for audit and for the error line.</summary>
    public string Rule { get; } = rule;
}

/// <summary>A remote party (CA, Vault, ACME, OCSP, TSA) failed or refused after retries.</summary>
public sealed class RemoteFailureException(string endpoint, string message, Exception? innerException = null)
    : PipelinePkiException(message, innerException)
{
    public string Endpoint { get; } = endpoint;
}
