namespace PipelinePki.Core.Authorities;

/// <summary>
/// The run's own identity as an OIDC ID token (a JWT), for sources that log in with it (Vault's JWT
/// auth). Core declares the seam; the CI adapters know how each platform hands tokens out.
/// </summary>
public interface IWorkloadIdentity
{
    /// <summary>An ID token whose <c>aud</c> is <paramref name="audience"/> (where the platform lets the caller choose it).</summary>
    /// <exception cref="UsageException">No CI platform that issues ID tokens is present, or it is not set up to.</exception>
    /// <exception cref="RemoteFailureException">The platform's token service failed.</exception>
    Task<string> RequestIdTokenAsync(string audience, CancellationToken cancellationToken);
}
