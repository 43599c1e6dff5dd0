using PipelinePki.Core.Validation;
using PipelinePki.TestKit.Pki;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>
/// What <c>openssl verify</c> must say: OK, or the error text at the given depth (0 = leaf). For an OK verdict
/// <see cref="Error"/>, when set, is a non-fatal error OpenSSL prints anyway.
/// </summary>
public sealed record OpenSslVerdict(bool Valid, string? Error = null, int? Depth = null)
{
    public static OpenSslVerdict Ok { get; } = new(true);

    public override string ToString() => Valid ? "OK" : $"'{Error}' at depth {Depth?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";
}

/// <summary>What the engine must say: valid, or failed with this check (at this path index when it is unambiguous).</summary>
public sealed record EngineVerdict(bool Valid, string? Check = null, int? PathIndex = null)
{
    public static EngineVerdict Ok { get; } = new(true);

    public override string ToString() => Valid ? "valid" : $"{Check} at {PathIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any index"}";
}

/// <summary>
/// Everything one verification needs, for both verifiers. Each field maps to an <c>openssl verify</c>
/// flag and a <see cref="VerifyRequest"/> member (see <c>DifferentialTests.OpenSslArguments</c>).
/// </summary>
public sealed record ScenarioInput(TestCertificate Leaf, IReadOnlyList<TestCertificate> Anchors, IReadOnlyList<TestCertificate> Untrusted)
{
    /// <summary>Non-empty: -crl_check_all with these CRLs, and <see cref="RevocationMode.Crl"/>; empty: no revocation checking.</summary>
    public IReadOnlyList<TestCrl> Crls { get; init; } = [];

    public CertificatePurpose Purpose { get; init; } = CertificatePurpose.Any;

    public NameExpectations? Names { get; init; }

    /// <summary>Null: the engine default (anyPolicy, nothing required) and plain -policy_check.</summary>
    public PolicyOptions? Policy { get; init; }

    /// <summary>Verification time; null means <see cref="TestPki.Now"/>.</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>-x509_strict (OpenSSL's RFC 5280 profile checks). On by default.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>-policy_check. On by default: the engine always runs RFC 5280 §6.1 policy processing.</summary>
    public bool PolicyCheck { get; init; } = true;

    /// <summary>
    /// -policy for each initial policy, anyPolicy included. On by default: without it OpenSSL 3.0 uses an empty
    /// user-initial-policy-set instead of RFC 5280's {anyPolicy} (see Quirk_ExplicitPolicyWithoutUserPolicySet).
    /// </summary>
    public bool PassUserPolicySet { get; init; } = true;

    /// <summary>Further openssl flags (-use_deltas, -extended_crl, ...).</summary>
    public IReadOnlyList<string> OpenSslFlags { get; init; } = [];

    /// <summary>When set, the engine's chosen path must be exactly these certificates, leaf first.</summary>
    public IReadOnlyList<TestCertificate>? ExpectedPath { get; init; }
}

/// <summary>
/// One differential scenario: a chain the test generates, OpenSSL's expected verdict and the engine's.
/// They agree unless <see cref="Quirk"/> explains, with the deciding RFC 5280 clause, why OpenSSL is not the reference.
/// </summary>
public sealed record DifferentialScenario(string Name, Func<TestPki, ScenarioInput> Build, OpenSslVerdict OpenSsl, EngineVerdict Engine, string? Quirk = null)
{
    /// <summary>
    /// For a quirk that a later OpenSSL release no longer has: from this version on, OpenSSL is expected
    /// to say <see cref="OpenSslOnceFixed"/> (which then agrees with the engine).
    /// </summary>
    public Version? OpenSslFixedIn { get; init; }

    public OpenSslVerdict? OpenSslOnceFixed { get; init; }

    /// <summary>What the OpenSSL on this machine must say.</summary>
    public OpenSslVerdict ExpectedFrom(Version openSsl) =>
        OpenSslFixedIn is { } fixedIn && openSsl >= fixedIn && OpenSslOnceFixed is { } once ? once : OpenSsl;

    public static DifferentialScenario Valid(string name, Func<TestPki, ScenarioInput> build) =>
        new(name, build, OpenSslVerdict.Ok, EngineVerdict.Ok);

    public static DifferentialScenario Rejected(string name, Func<TestPki, ScenarioInput> build, string openSslError, int? depth, string check, int? pathIndex) =>
        new(name, build, new OpenSslVerdict(false, openSslError, depth), new EngineVerdict(false, check, pathIndex));

    public override string ToString() => Name;
}
