using PipelinePki.Ci.Platforms;

namespace PipelinePki.Ci.Tests;

public class CiLogWriterTests
{
    private sealed class RecordingPlatform : ICiPlatform
    {
        public List<CiAnnotation> Annotations { get; } = [];

        public CiPlatformKind Kind => CiPlatformKind.GitHubActions;

        public void Annotate(CiAnnotation annotation) => Annotations.Add(annotation);

        public void ExportEnvironment(string name, string value, bool secret = false) => throw new InvalidOperationException("not expected");

        public void MaskSecret(string value) => throw new InvalidOperationException("not expected");

        public void SaveState(string name, string value) => throw new InvalidOperationException("not expected");

        public void SetOutput(string name, string value, bool secret = false) => throw new InvalidOperationException("not expected");

        public void WriteSummary(CiSummary summary) => throw new InvalidOperationException("not expected");
    }

    [Fact]
    public void OurErrorAndWarningLines_BecomeAnnotations_TextPassesThroughUnchanged()
    {
        using var inner = new StringWriter();
        var platform = new RecordingPlatform();
        using var writer = new CiLogWriter(inner) { Platform = platform };
        writer.WriteLine("pipeline-pki: warning: no timestamp");
        writer.Write("pipeline-pki: err");
        writer.Write("or: broken, ");
        writer.Write('x');
        writer.Write("\nprogress 10%\r\n");
        writer.WriteLine("someone else: error: not ours");

        Assert.Equal("pipeline-pki: warning: no timestamp\npipeline-pki: error: broken, x\nprogress 10%\nsomeone else: error: not ours\n", inner.ToString().ReplaceLineEndings("\n"));
        Assert.Equal(
            [new CiAnnotation(CiAnnotationLevel.Warning, "no timestamp", "pipeline-pki"), new CiAnnotation(CiAnnotationLevel.Error, "broken, x", "pipeline-pki")],
            platform.Annotations);
    }

    [Fact]
    public void OnGitHub_TheAnnotationFollowsTheLine()
    {
        using var inner = new StringWriter();
        var github = new GitHubActionsPlatform(new CiPlatformContext(_ => null, TextWriter.Null, inner, TimeProvider.System));
        using var writer = new CiLogWriter(inner) { Platform = github };
        writer.WriteLine("pipeline-pki: error: --key: no such file, /k.pem, check the path");

        Assert.Equal(
            ["pipeline-pki: error: --key: no such file, /k.pem, check the path", "::error title=pipeline-pki::--key: no such file, /k.pem, check the path"],
            inner.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void BeforeThePlatformIsKnown_NothingIsAnnotated()
    {
        using var inner = new StringWriter();
        using var writer = new CiLogWriter(inner);
        writer.WriteLine("pipeline-pki: error: early");
        Assert.Equal("pipeline-pki: error: early", inner.ToString().Trim());
    }
}
