using System.Text;

namespace PipelinePki.Ci;

/// <summary>
/// stderr as the CLI writes it, watched line by line: each of our own
/// <c>pipeline-pki: error: …</c> and <c>pipeline-pki: warning: …</c> lines also becomes an
/// annotation on the platform, wherever in the code it was written. The line itself is kept, so
/// people and scripts reading the log see the same text on every platform.
/// </summary>
public sealed class CiLogWriter(TextWriter inner) : TextWriter
{
    private const string ErrorPrefix = "pipeline-pki: error: ";
    private const string WarningPrefix = "pipeline-pki: warning: ";

    private readonly StringBuilder line = new();
    private readonly Lock gate = new();

    /// <summary>Set once the command line is parsed and --ci is known; until then lines pass through.</summary>
    public ICiPlatform? Platform { get; set; }

    /// <summary>The unwatched stream, for the platform's own commands (which must not be watched again).</summary>
    public TextWriter Inner => inner;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value)
    {
        lock (gate)
        {
            inner.Write(value);
            Track(value);
        }
    }

    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }

        lock (gate)
        {
            inner.Write(value);
            foreach (var c in value)
            {
                Track(c);
            }
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void WriteLine(string? value) => Write((value ?? string.Empty) + new string(CoreNewLine));

    public override void Flush() => inner.Flush();

    private void Track(char c)
    {
        if (c != '\n')
        {
            line.Append(c);
            return;
        }

        var text = line.ToString().TrimEnd('\r');
        line.Clear();
        if (Platform is not { } platform)
        {
            return;
        }

        if (text.StartsWith(ErrorPrefix, StringComparison.Ordinal))
        {
            inner.Flush();
            platform.Annotate(new CiAnnotation(CiAnnotationLevel.Error, text[ErrorPrefix.Length..], "pipeline-pki"));
        }
        else if (text.StartsWith(WarningPrefix, StringComparison.Ordinal))
        {
            inner.Flush();
            platform.Annotate(new CiAnnotation(CiAnnotationLevel.Warning, text[WarningPrefix.Length..], "pipeline-pki"));
        }
    }
}
