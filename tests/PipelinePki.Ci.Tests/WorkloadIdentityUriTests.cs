using PipelinePki.Core;

namespace PipelinePki.Ci.Tests;

public class WorkloadIdentityUriTests
{
    private static CiEnvironment With(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return new CiEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void GitHub_ServerUrlAndWorkflowRef_FulciosForm()
    {
        var ci = With(("GITHUB_ACTIONS", "true"), ("GITHUB_SERVER_URL", "https://github.example.com/"), ("GITHUB_WORKFLOW_REF", "acme/app/.github/workflows/release.yml@refs/tags/v1.2.0"));
        Assert.Equal("https://github.example.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.0", ci.WorkloadIdentityUri(ci.Detect()));
    }

    [Fact]
    public void GitLab_ConfigRefUri_FulciosForm()
    {
        var ci = With(("GITLAB_CI", "true"), ("CI_CONFIG_REF_URI", "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main"));
        Assert.Equal("https://gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main", ci.WorkloadIdentityUri(ci.Detect()));
    }

    [Fact]
    public void Azure_DefinitionAtBranch_ProjectEscaped()
    {
        var ci = With(("TF_BUILD", "True"), ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/"), ("SYSTEM_TEAMPROJECT", "Build Tools"),
            ("SYSTEM_DEFINITIONID", "42"), ("BUILD_SOURCEBRANCH", "refs/heads/main"));
        Assert.Equal("https://dev.azure.com/acme/Build%20Tools/_build/definition/42@refs/heads/main", ci.WorkloadIdentityUri(ci.Detect()));
    }

    [Fact]
    public void NoPlatform_OrMissingVariable_IsBadInputNamingIt()
    {
        var none = With();
        Assert.Contains("no CI platform detected", Assert.Throws<BadInputException>(() => none.WorkloadIdentityUri(none.Detect())).Message, StringComparison.Ordinal);
        var partial = With(("GITHUB_ACTIONS", "true"), ("GITHUB_SERVER_URL", "https://github.com"));
        Assert.Contains("GITHUB_WORKFLOW_REF", Assert.Throws<BadInputException>(() => partial.WorkloadIdentityUri(partial.Detect())).Message, StringComparison.Ordinal);
    }
}
