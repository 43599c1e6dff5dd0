using PipelinePki.Core.Inventory;

namespace PipelinePki.Ci;

public enum CiPlatformKind
{
    None,
    GitHubActions,
    AzurePipelines,
    GitLabCi,
}

/// <summary>
/// Reads which CI platform runs us and who the run is, from the variables each platform documents.
/// The core never reads these itself: it receives a <see cref="Requester"/>.
/// </summary>
public sealed class CiEnvironment(Func<string, string?> getVariable)
{
    public CiPlatformKind Detect(string mode = "auto") => mode.ToLowerInvariant() switch
    {
        "github" => CiPlatformKind.GitHubActions,
        "azure" => CiPlatformKind.AzurePipelines,
        "gitlab" => CiPlatformKind.GitLabCi,
        "none" => CiPlatformKind.None,
        "auto" => AutoDetect(),
        _ => throw new Core.UsageException($"--ci: unknown platform '{mode}'; use auto, github, azure, gitlab or none."),
    };

    public Requester DescribeRequester(CiPlatformKind platform) => platform switch
    {
        CiPlatformKind.GitHubActions => new Requester(
            "github",
            Repository: Get("GITHUB_REPOSITORY"),
            RunId: Join(Get("GITHUB_RUN_ID"), Get("GITHUB_RUN_ATTEMPT")),
            Commit: Get("GITHUB_SHA"),
            Actor: Get("GITHUB_ACTOR"),
            Workflow: Get("GITHUB_WORKFLOW_REF") ?? Get("GITHUB_WORKFLOW"),
            Ref: Get("GITHUB_REF")),
        CiPlatformKind.AzurePipelines => new Requester(
            "azure",
            Repository: Get("BUILD_REPOSITORY_NAME"),
            RunId: Get("BUILD_BUILDID"),
            Commit: Get("BUILD_SOURCEVERSION"),
            Actor: Get("BUILD_REQUESTEDFOREMAIL") ?? Get("BUILD_REQUESTEDFOR"),
            Workflow: Get("BUILD_DEFINITIONNAME"),
            Ref: Get("BUILD_SOURCEBRANCH")),
        CiPlatformKind.GitLabCi => new Requester(
            "gitlab",
            Repository: Get("CI_PROJECT_PATH"),
            RunId: Join(Get("CI_PIPELINE_ID"), Get("CI_JOB_ID")),
            Commit: Get("CI_COMMIT_SHA"),
            Actor: Get("GITLAB_USER_LOGIN"),
            Workflow: Get("CI_JOB_NAME"),
            Ref: Get("CI_COMMIT_REF_NAME")),
        _ => new Requester("local", Actor: LocalActor()),
    };

    /// <summary>
    /// The run's workload identity as a URI SAN, so <c>verify --identity</c> can demand "built by the
    /// release workflow on main". GitHub and GitLab use the forms Sigstore's Fulcio puts in its
    /// certificates (the workflow or CI config file at a ref); Azure Pipelines has no such
    /// convention, so ours is the pipeline definition at a branch:
    /// <list type="bullet">
    /// <item>GitHub: <c>$GITHUB_SERVER_URL/$GITHUB_WORKFLOW_REF</c>, e.g. <c>https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main</c></item>
    /// <item>GitLab: <c>https://$CI_CONFIG_REF_URI</c>, e.g. <c>https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main</c></item>
    /// <item>Azure: <c>$SYSTEM_COLLECTIONURI$SYSTEM_TEAMPROJECT/_build/definition/$SYSTEM_DEFINITIONID@$BUILD_SOURCEBRANCH</c></item>
    /// </list>
    /// </summary>
    /// <exception cref="Core.BadInputException">No platform was detected, or a variable the platform always sets is missing.</exception>
    public string WorkloadIdentityUri(CiPlatformKind platform) => platform switch
    {
        CiPlatformKind.GitHubActions => $"{Require("GITHUB_SERVER_URL").TrimEnd('/')}/{Require("GITHUB_WORKFLOW_REF").TrimStart('/')}",
        CiPlatformKind.GitLabCi => $"https://{Require("CI_CONFIG_REF_URI")}",
        CiPlatformKind.AzurePipelines =>
            $"{Require("SYSTEM_COLLECTIONURI").TrimEnd('/')}/{Uri.EscapeDataString(Require("SYSTEM_TEAMPROJECT"))}/_build/definition/{Require("SYSTEM_DEFINITIONID")}@{Require("BUILD_SOURCEBRANCH")}",
        _ => throw new Core.BadInputException(
            "--ci-identity: no CI platform detected (none of GITHUB_ACTIONS, TF_BUILD or GITLAB_CI is true), environment; run it inside GitHub Actions, Azure Pipelines or GitLab CI, or drop --ci-identity."),
    };

    private string Require(string name) => Get(name)
        ?? throw new Core.BadInputException($"--ci-identity: the CI variable {name} is not set, environment; the platform normally sets it (GitLab: CI_CONFIG_REF_URI needs GitLab 16.2+), or drop --ci-identity.");

    private CiPlatformKind AutoDetect()
    {
        if (IsTrue(Get("GITHUB_ACTIONS")))
        {
            return CiPlatformKind.GitHubActions;
        }

        if (IsTrue(Get("TF_BUILD")))
        {
            return CiPlatformKind.AzurePipelines;
        }

        return IsTrue(Get("GITLAB_CI")) ? CiPlatformKind.GitLabCi : CiPlatformKind.None;
    }

    private string? LocalActor()
    {
        var user = Get("USER") ?? Get("USERNAME") ?? Environment.UserName;
        return $"{user}@{Environment.MachineName}";
    }

    private string? Get(string name) => getVariable(name) is { Length: > 0 } value ? value : null;

    private static string? Join(string? run, string? attempt) => run is null ? null : attempt is null ? run : $"{run}/{attempt}";

    private static bool IsTrue(string? value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
}
