using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;

namespace PipelinePki.Core.Validation;

/// <summary>What a certificate must be good for: EKU plus the key usage that purpose needs.</summary>
public enum CertificatePurpose
{
    Any,
    Server,
    Client,
    CodeSigning,
    TimeStamping,
}

public enum RevocationMode
{
    /// <summary>CRLs given or fetched from the CRL distribution point; else OCSP from AIA.</summary>
    Auto,
    Crl,
    Ocsp,
    None,
}

public enum CheckStatus
{
    Passed,
    Failed,

    /// <summary>Not applicable or explicitly disabled (for example <c>--revocation none</c>).</summary>
    Skipped,

    /// <summary>Could not be determined and the caller allowed that (<c>--soft-fail</c>).</summary>
    Warning,
}

/// <summary>RFC 5280 §6.1.1 policy inputs. The default is anyPolicy with no explicit-policy requirement.</summary>
public sealed record PolicyOptions(
    IReadOnlyList<string> InitialPolicies,
    bool RequireExplicitPolicy = false,
    bool InhibitPolicyMapping = false,
    bool InhibitAnyPolicy = false)
{
    public const string AnyPolicy = "2.5.29.32.0";

    public static PolicyOptions Default { get; } = new([AnyPolicy]);
}

/// <summary>Names the leaf must carry (matched against SANs; the CN only when explicitly allowed).</summary>
public sealed record NameExpectations(
    string? Host = null,
    string? IpAddress = null,
    string? Uri = null,
    string? Email = null,
    bool AllowCommonNameFallback = false);

/// <summary>
/// One certificate verification: the leaf, what to trust, what may help build the path, and what
/// to demand. CRLs come parsed (<see cref="Crls"/>) or as DER with their source name
/// (<see cref="RawCrls"/>, the fast path for very large CRLs: they are indexed without building an object tree).
/// </summary>
public sealed record VerifyRequest(
    X509Certificate Leaf,
    IReadOnlyList<X509Certificate> TrustAnchors,
    IReadOnlyList<X509Certificate> Untrusted,
    IReadOnlyList<X509Crl> Crls,
    DateTimeOffset? At = null,
    CertificatePurpose Purpose = CertificatePurpose.Any,
    NameExpectations? Names = null,
    RevocationMode Revocation = RevocationMode.Auto,
    bool SoftFail = false,
    PolicyOptions? Policy = null,
    IReadOnlyList<(byte[] Der, string Source)>? RawCrls = null);

/// <summary>One check's verdict; <see cref="PathIndex"/> counts from the leaf (0) to the trust anchor.</summary>
public sealed record CheckResult(string Check, CheckStatus Status, string Detail, int? PathIndex = null, string? Subject = null);

/// <summary>
/// The answer of <c>cert verify</c>: the path chosen (leaf first, anchor last), one entry per
/// check, and how many candidate paths were tried. Valid exactly when no check failed.
/// </summary>
public sealed record VerificationOutcome(
    bool IsValid,
    IReadOnlyList<CertificateInfo> Path,
    IReadOnlyList<CheckResult> Checks,
    int CandidatePaths,
    IReadOnlyList<string> ValidPolicies)
{
    public IEnumerable<CheckResult> Failures => Checks.Where(c => c.Status == CheckStatus.Failed);
}

/// <summary>Fetches CRLs named by CRL distribution points (HTTP). Tests and the CLI supply one; offline use supplies none.</summary>
public interface ICrlFetcher
{
    Task<byte[]> FetchAsync(Uri location, CancellationToken cancellationToken);
}

/// <summary>Sends one DER OCSP request to a responder (RFC 6960 over HTTP) and returns the DER response.</summary>
public interface IOcspTransport
{
    Task<byte[]> SendAsync(Uri responder, byte[] request, CancellationToken cancellationToken);
}

public enum RevocationState
{
    Good,
    Revoked,

    /// <summary>No authoritative answer (no CRL covers it, responder unreachable, stale or unauthorized response).</summary>
    Undetermined,
}

/// <summary>What one revocation source (a CRL set or an OCSP responder) says about one certificate.</summary>
public sealed record RevocationStatus(RevocationState State, string Method, string Detail, DateTimeOffset? RevokedAt = null, string? Reason = null);

/// <summary>The names of the checks in a <see cref="VerificationOutcome"/>; stable, because JSON consumers match on them.</summary>
public static class CheckNames
{
    public const string PathBuilding = "path";
    public const string Signature = "signature";
    public const string Validity = "validity";
    public const string IssuerName = "issuer-name";
    public const string BasicConstraints = "basic-constraints";
    public const string PathLength = "path-length";
    public const string KeyUsage = "key-usage";
    public const string NameConstraints = "name-constraints";
    public const string Policy = "policy";
    public const string CriticalExtensions = "critical-extensions";
    public const string Revocation = "revocation";
    public const string Purpose = "purpose";
    public const string Name = "name";
}
