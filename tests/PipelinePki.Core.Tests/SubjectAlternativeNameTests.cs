using PipelinePki.Core.Certificates;

namespace PipelinePki.Core.Tests;

public class SubjectAlternativeNameTests
{
    [Theory]
    [InlineData("dns:build.example.internal", SanType.Dns, "build.example.internal")]
    [InlineData("DNS:Build.Example.Internal", SanType.Dns, "build.example.internal")]
    [InlineData("dns:*.apps.example.internal", SanType.Dns, "*.apps.example.internal")]
    [InlineData("ip:10.1.2.3", SanType.Ip, "10.1.2.3")]
    [InlineData("ip:::1", SanType.Ip, "::1")]
    [InlineData("uri:spiffe://example.internal/ci/build", SanType.Uri, "spiffe://example.internal/ci/build")]
    [InlineData("email:ci@example.internal", SanType.Email, "ci@example.internal")]
    public void Parse_Valid_ReturnsTypedName(string text, SanType type, string value)
    {
        var name = SubjectAlternativeName.Parse(text);
        Assert.Equal(type, name.Type);
        Assert.Equal(value, name.Value);
    }

    [Theory]
    [InlineData("build.example.internal")]
    [InlineData("dns:bad_name.example")]
    [InlineData("dns:*.com")]
    [InlineData("dns:a.*.example.com")]
    [InlineData("ip:300.1.1.1")]
    [InlineData("uri:not a uri")]
    [InlineData("email:nobody")]
    [InlineData("x400:whatever")]
    public void Parse_Invalid_ThrowsUsage(string text) =>
        Assert.Throws<UsageException>(() => SubjectAlternativeName.Parse(text));
}
