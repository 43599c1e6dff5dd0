using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PipelinePki.Ci;
using PipelinePki.Core;

namespace PipelinePki.Cli;

/// <summary>Connects a parsed command line to its CI platform: which platform, and which secrets to mask before anything runs.</summary>
internal static class CiWiring
{
    public const string GitHubHttpClientName = "github";

    /// <summary>The platform --ci names (auto detects it); after a parse error, auto detection so the error still becomes an annotation.</summary>
    public static ICiPlatform Platform(ParseResult parse, Option<string> ciOption, Option<string?> dotenvOption, Func<string, string?> getVariable, TextWriter output, TextWriter error, TimeProvider time)
    {
        var environment = new CiEnvironment(getVariable);
        CiPlatformKind kind;
        string? dotenv = null;
        try
        {
            kind = environment.Detect(parse.GetValue(ciOption) ?? "auto");
            dotenv = parse.GetValue(dotenvOption);
        }
        catch (Exception e) when (e is UsageException or InvalidOperationException)
        {
            kind = environment.Detect("auto");
        }

        return CiPlatforms.Create(kind, new CiPlatformContext(getVariable, output, error, time, dotenv));
    }

    /// <summary>
    /// The value of every environment variable a <c>--*-env</c> option of this command names (defaults
    /// included): passphrases, PINs, tokens. They are registered for masking before the command runs.
    /// </summary>
    public static IEnumerable<string> SecretsNamedByOptions(ParseResult parse, Func<string, string?> getVariable)
    {
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            foreach (var option in result.Command.Options.Where(o => o.Name.EndsWith("-env", StringComparison.Ordinal)))
            {
                var names = option switch
                {
                    Option<string> single => parse.GetValue(single) is { } name ? [name] : [],
                    Option<string[]> many => parse.GetValue(many) ?? [],
                    _ => Array.Empty<string>(),
                };
                foreach (var name in names.Where(n => n.Length > 0))
                {
                    if (getVariable(name) is { Length: > 0 } secret)
                    {
                        yield return secret;
                    }
                }
            }
        }
    }

    /// <summary>GitHub's REST API: TLS 1.2+, no cookies, a timeout long enough for large release assets.</summary>
    public static void AddGitHubClient(this IServiceCollection services) =>
        services.AddHttpClient(GitHubHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                SslOptions = { EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13 },
                UseCookies = false,
                AllowAutoRedirect = false,
            })
            .ConfigureHttpClient(client => client.Timeout = TimeSpan.FromMinutes(30));
}
