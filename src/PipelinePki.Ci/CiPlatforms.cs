using PipelinePki.Ci.Platforms;

namespace PipelinePki.Ci;

/// <summary>Builds the platform adapter for <c>--ci auto|github|azure|gitlab|none</c>.</summary>
public static class CiPlatforms
{
    public const string DotenvVariable = "PIPELINE_PKI_DOTENV";

    public static ICiPlatform Create(CiPlatformKind kind, CiPlatformContext context) => kind switch
    {
        CiPlatformKind.GitHubActions => new GitHubActionsPlatform(context),
        CiPlatformKind.AzurePipelines => new AzurePipelinesPlatform(context),
        CiPlatformKind.GitLabCi => new GitLabCiPlatform(context),
        _ => new LocalPlatform(),
    };

    /// <summary>The step's output name as a GitLab dotenv key: certPath → PIPELINE_PKI_CERT_PATH.</summary>
    public static string DotenvKey(string outputName)
    {
        var key = new System.Text.StringBuilder("PIPELINE_PKI_");
        for (var i = 0; i < outputName.Length; i++)
        {
            var c = outputName[i];
            if (char.IsUpper(c) && i > 0 && !char.IsUpper(outputName[i - 1]))
            {
                key.Append('_');
            }

            key.Append(char.IsLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }

        return key.ToString();
    }
}
