using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Ci.GitHub;
using PipelinePki.Cli.Output;
using PipelinePki.Core;
using PipelinePki.Core.Signing;

namespace PipelinePki.Cli.Commands;

/// <summary><c>publish github-release</c>: signatures, bundles and certificates as release assets, and a check run.</summary>
internal static class PublishCommands
{
    public static Command Create(CliApp app)
    {
        var publish = new Command("publish", "Publish signed artifacts where the platform shows them.");
        app.AddSubcommands(
            publish,
            depth: 1,
            ("github-release", GitHubRelease));
        return publish;
    }

    private static Command GitHubRelease(CliApp app)
    {
        var files = new Argument<string[]>("files") { Description = "Files to attach (quoted globs are expanded): signatures, bundles, certificates, manifests.", Arity = ArgumentArity.OneOrMore };
        var tag = new Option<string>("--tag") { Description = "The release's tag.", Required = true };
        var repo = new Option<string?>("--repo") { Description = "owner/name (default $GITHUB_REPOSITORY)." };
        var apiUrl = new Option<string?>("--api-url") { Description = "REST API base: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server (default $GITHUB_API_URL)." };
        var create = new Option<bool>("--create") { Description = "Create the release when the tag has none." };
        var replace = new Option<bool>("--replace") { Description = "Replace assets of the same name (otherwise an existing name is an error and nothing is uploaded)." };
        var target = new Option<string?>("--target") { Description = "With --create: the commit or branch the tag is created on when it does not exist yet." };
        var checkRun = new Option<string?>("--check-run") { Description = "Also create a completed check run of this name carrying the verification outcome (needs --outcome-file)." };
        var outcomeFile = new Option<string?>("--outcome-file") { Description = "The JSON that 'verify --format json' (or 'cert verify --format json') wrote, for --check-run." };
        var sha = new Option<string?>("--sha") { Description = "Commit the check run is attached to (default $GITHUB_SHA)." };
        var tokenEnv = new Option<string>("--token-env") { Description = "Environment variable holding the token (contents: write; checks: write for --check-run).", DefaultValueFactory = _ => "GITHUB_TOKEN" };
        var format = CommandKit.FormatOption("text", "json");
        var command = new Command("github-release", "Attach files to the GitHub release of a tag (GHES supported), optionally with a check run for the verification outcome.")
        {
            files, tag, repo, apiUrl, create, replace, target, checkRun, outcomeFile, sha, tokenEnv, format,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var token = app.GetEnvironmentVariable(parse.GetValue(tokenEnv)!) is { Length: > 0 } value
                ? value
                : throw new UsageException($"{parse.GetValue(tokenEnv)} is empty: give the job a token (env: GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}) or name another variable with --token-env.");
            var repository = parse.GetValue(repo) ?? app.GetEnvironmentVariable("GITHUB_REPOSITORY")
                ?? throw new UsageException("--repo owner/name is required outside GitHub Actions (GITHUB_REPOSITORY is not set).");
            var api = parse.GetValue(apiUrl) ?? app.GetEnvironmentVariable("GITHUB_API_URL") ?? "https://api.github.com";
            if (!Uri.TryCreate(api, UriKind.Absolute, out var apiUri) || (apiUri.Scheme != Uri.UriSchemeHttps && apiUri.Scheme != Uri.UriSchemeHttp))
            {
                throw new UsageException($"--api-url: '{api}' is not an http(s) URL (for example https://github.example.com/api/v3).");
            }

            var run = CheckRun(app, parse.GetValue(checkRun), parse.GetValue(outcomeFile), parse.GetValue(sha));
            var request = new GitHubReleaseRequest(
                apiUri, repository, parse.GetValue(tag)!, ArtifactSet.Expand(parse.GetValue(files)!), parse.GetValue(create), parse.GetValue(replace), parse.GetValue(target), run);
            var http = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(CiWiring.GitHubHttpClientName);
            var publisher = new GitHubReleasePublisher(http, token, app.Services.GetRequiredService<TimeProvider>());
            var result = await publisher.PublishAsync(request, new Progress<string>(line => app.Error.WriteLine($"pipeline-pki: {line}")), cancellationToken);
            app.CiPublisher.Publish(new Ci.Steps.GitHubReleaseOutputs(result));
            CommandKit.Render(app, parse.GetValue(format), result, () => CliJson.Default.GitHubReleaseResult, RenderText);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void RenderText(TextWriter output, GitHubReleaseResult result)
    {
        output.WriteLine($"release {result.Tag} of {result.Repository}{(result.Created ? " (created)" : string.Empty)}: {result.HtmlUrl}");
        foreach (var asset in result.Assets)
        {
            output.WriteLine($"  {(asset.Replaced ? "replaced" : "uploaded")} {asset.Name} ({asset.Size} bytes) {asset.DownloadUrl}");
        }

        if (result.CheckRun is { } run)
        {
            output.WriteLine($"  check run: {run.Conclusion} {run.HtmlUrl}");
        }
    }

    private static CheckRunRequest? CheckRun(CliApp app, string? name, string? outcomeFile, string? sha)
    {
        if (name is null)
        {
            return outcomeFile is null ? null : throw new UsageException("--outcome-file is read for a check run: add --check-run NAME.");
        }

        if (outcomeFile is null)
        {
            throw new UsageException("--check-run needs --outcome-file FILE (the output of 'verify --format json').");
        }

        var headSha = sha ?? app.GetEnvironmentVariable("GITHUB_SHA")
            ?? throw new UsageException("--check-run needs the commit: --sha SHA (GITHUB_SHA is not set).");
        var (valid, summary) = VerificationReport.Read(outcomeFile);
        return new CheckRunRequest(name, headSha, valid, valid ? "Signatures verified" : "Verification failed", summary);
    }
}
