using Microsoft.Extensions.Logging.Abstractions;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Inventory;
using PipelinePki.Core.Keys;

namespace PipelinePki.TestKit;

/// <summary>A fresh two-tier CA per test, made by the product itself in a temp folder. No checked-in keys.</summary>
public static class ThrowawayCa
{
    public static readonly Requester TestRequester = new("test", Repository: "example/repo", RunId: "42", Commit: "abc123", Actor: "tester");

    public static async Task<LocalAuthority> CreateAsync(
        string home,
        TimeProvider time,
        KeySpec? keySpec = null,
        string? passphrase = null,
        IReadOnlyList<string>? permittedDns = null,
        TimeSpan? intermediateLifetime = null)
    {
        PassphraseProvider secret = () => passphrase?.AsMemory();
        await new LocalCaInitializer(time, NullLogger<LocalCaInitializer>.Instance).InitializeAsync(
            new CaInitRequest(
                home,
                "Test CI",
                keySpec ?? KeySpec.Default,
                keySpec ?? KeySpec.Default,
                TimeSpan.FromDays(3650),
                intermediateLifetime ?? TimeSpan.FromDays(365),
                EncryptKeys: passphrase is not null,
                TestRequester,
                PermittedDns: permittedDns),
            secret,
            CancellationToken.None);
        return new LocalAuthority(LocalCaHome.Open(home), secret, time, NullLogger<LocalAuthority>.Instance);
    }

    public static IssueRequest Request(
        string name = "build-agent",
        CertificateProfile profile = CertificateProfile.Mtls,
        KeySpec? keySpec = null,
        TimeSpan? lifetime = null,
        params string[] sans) =>
        new(
            name,
            sans.Select(SubjectAlternativeName.Parse).ToList(),
            profile,
            lifetime ?? TimeSpan.FromHours(24),
            keySpec ?? KeySpec.Default,
            TestRequester);
}
