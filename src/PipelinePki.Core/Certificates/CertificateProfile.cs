namespace PipelinePki.Core.Certificates;

/// <summary>What a leaf certificate is for; sets key usage and extended key usage.</summary>
public enum CertificateProfile
{
    /// <summary>TLS client authentication (a pipeline presenting itself to a registry).</summary>
    Client,

    /// <summary>TLS server authentication.</summary>
    Server,

    /// <summary>Both client and server authentication: the pipeline default for mutual TLS.</summary>
    Mtls,

    /// <summary>Signing artifacts, images and commits.</summary>
    CodeSigning,
}

public static class CertificateProfiles
{
    public static CertificateProfile Parse(string text) => text.ToLowerInvariant() switch
    {
        "client" => CertificateProfile.Client,
        "server" => CertificateProfile.Server,
        "mtls" => CertificateProfile.Mtls,
        "code-signing" => CertificateProfile.CodeSigning,
        _ => throw new UsageException($"--profile: unknown profile '{text}'; use client, server, mtls or code-signing."),
    };

    public static string Name(this CertificateProfile profile) => profile switch
    {
        CertificateProfile.Client => "client",
        CertificateProfile.Server => "server",
        CertificateProfile.Mtls => "mtls",
        CertificateProfile.CodeSigning => "code-signing",
        _ => throw new ArgumentOutOfRangeException(nameof(profile)),
    };
}
