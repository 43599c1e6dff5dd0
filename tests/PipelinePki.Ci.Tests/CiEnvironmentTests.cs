using PipelinePki.Core;

namespace PipelinePki.Ci.Tests;

public class CiEnvironmentTests
{
    private static CiEnvironment With(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return new CiEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Detect_GitHubActions_FromItsMarkerVariable()
    {
        var ci = With(("GITHUB_ACTIONS", "true"), ("GITHUB_REPOSITORY", "acme/app"), ("GITHUB_RUN_ID", "9"), ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_SHA", "deadbeef"), ("GITHUB_ACTOR", "octocat"), ("GITHUB_WORKFLOW_REF", "acme/app/.github/workflows/release.yml@refs/heads/main"));
        var platform = ci.Detect();
        Assert.Equal(CiPlatformKind.GitHubActions, platform);
        var requester = ci.DescribeRequester(platform);
        Assert.Equal("github", requester.Platform);
        Assert.Equal("acme/app", requester.Repository);
        Assert.Equal("9/1", requester.RunId);
        Assert.Equal("deadbeef", requester.Commit);
        Assert.Equal("octocat", requester.Actor);
        Assert.Equal("acme/app/.github/workflows/release.yml@refs/heads/main", requester.Workflow);
    }

    [Fact]
    public void Detect_AzurePipelines_FromTfBuild()
    {
        var ci = With(("TF_BUILD", "True"), ("BUILD_REPOSITORY_NAME", "widgets"), ("BUILD_BUILDID", "314"), ("BUILD_SOURCEVERSION", "cafe"));
        var requester = ci.DescribeRequester(ci.Detect());
        Assert.Equal("azure", requester.Platform);
        Assert.Equal("widgets", requester.Repository);
        Assert.Equal("314", requester.RunId);
        Assert.Equal("cafe", requester.Commit);
    }

    [Fact]
    public void Detect_GitLab_FromGitLabCi()
    {
        var ci = With(("GITLAB_CI", "true"), ("CI_PROJECT_PATH", "group/proj"), ("CI_PIPELINE_ID", "5"), ("CI_JOB_ID", "6"), ("CI_COMMIT_SHA", "beef"));
        var requester = ci.DescribeRequester(ci.Detect());
        Assert.Equal("gitlab", requester.Platform);
        Assert.Equal("group/proj", requester.Repository);
        Assert.Equal("5/6", requester.RunId);
    }

    [Fact]
    public void Detect_NothingSet_LocalUserAtHost()
    {
        var ci = With(("USER", "dev"));
        Assert.Equal(CiPlatformKind.None, ci.Detect());
        var requester = ci.DescribeRequester(CiPlatformKind.None);
        Assert.Equal("local", requester.Platform);
        Assert.StartsWith("dev@", requester.Actor, StringComparison.Ordinal);
    }

    [Fact]
    public void Detect_ExplicitModeWinsOverEnvironment_UnknownModeIsUsage()
    {
        var ci = With(("GITHUB_ACTIONS", "true"));
        Assert.Equal(CiPlatformKind.None, ci.Detect("none"));
        Assert.Equal(CiPlatformKind.GitLabCi, ci.Detect("gitlab"));
        Assert.Throws<UsageException>(() => ci.Detect("jenkins"));
    }

    [Fact]
    public void Detect_MarkerNotTrue_NotDetected() =>
        Assert.Equal(CiPlatformKind.None, With(("GITHUB_ACTIONS", "false"), ("GITLAB_CI", "")).Detect());
}
