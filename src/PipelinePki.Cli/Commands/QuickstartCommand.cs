using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Cli.Output;
using PipelinePki.Core.Workflows;

namespace PipelinePki.Cli.Commands;

/// <summary><c>quickstart</c>: the main job on the embedded default, in one command.</summary>
internal static class QuickstartCommand
{
    public static Command Create(CliApp app)
    {
        var directory = new Option<string>("--dir") { Description = "Working directory for the quickstart CA and certificate.", DefaultValueFactory = _ => ".pipeline-pki-quickstart" };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("quickstart", "Create a local two-tier CA (no passphrase: a demo) and issue a 24 h mTLS certificate for a build agent.") { directory, format };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = await app.Services.GetRequiredService<Quickstart>().RunAsync(
                new QuickstartRequest(parse.GetValue(directory)!, CommandKit.Requester(app, parse)), cancellationToken);
            CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.QuickstartResult, TextRender.Quickstart);

            return ExitCodes.Success;
        });
        return command;
    }
}
