using System.Runtime.InteropServices;
using PipelinePki.Cli;
using PipelinePki.Cli.Commands;

using var cancellation = new CancellationTokenSource();

// The first Ctrl-C (SIGINT), or the runner cancelling the job (SIGTERM), asks the running command to stop
// cleanly: temp files removed, no partial writes. A second one ends the process the default way.
// PosixSignalRegistration rather than Console.CancelKeyPress: the latter also sets up the terminal, a
// measurable share of a short command's start-up.
void StopCleanly(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested)
    {
        return;
    }

    context.Cancel = true;
    cancellation.Cancel();
}

using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, StopCleanly);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopCleanly);

var app = new CliApp(Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System);
// The GitHub post-entrypoint is this binary under another name (the runner passes it the main step's args).
return await app.RunAsync(WrapperStepCommand.RewriteForPostEntrypoint(Environment.GetCommandLineArgs().FirstOrDefault(), args), cancellation.Token);
