using PipelinePki.Cli;
using PipelinePki.Cli.Commands;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl-C asks the running command to stop cleanly (temp files removed, no partial writes).
    e.Cancel = true;
    cancellation.Cancel();
};

var app = new CliApp(Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System);
// The GitHub post-entrypoint is this binary under another name (the runner passes it the main step's args).
return await app.RunAsync(WrapperStepCommand.RewriteForPostEntrypoint(Environment.GetCommandLineArgs().FirstOrDefault(), args), cancellation.Token);
