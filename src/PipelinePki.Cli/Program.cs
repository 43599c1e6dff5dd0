using PipelinePki.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl-C asks the running command to stop cleanly (temp files removed, no partial writes).
    e.Cancel = true;
    cancellation.Cancel();
};

var app = new CliApp(Console.Out, Console.Error, Environment.GetEnvironmentVariable, TimeProvider.System);
return await app.RunAsync(args, cancellation.Token);
