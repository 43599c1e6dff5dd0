namespace PipelinePki.Cli;

/// <summary>The exit-code table of the CLI contract (shared/design/CLI.md). Wrappers depend on these numbers.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int InternalError = 1;
    public const int Usage = 2;
    public const int BadInput = 3;
    public const int NotValid = 4;
    public const int PolicyViolation = 5;
    public const int RemoteFailure = 6;

    /// <summary>Interrupted (SIGINT), the shell convention 128 + 2.</summary>
    public const int Cancelled = 130;
}
