using System.CommandLine;
using Microsoft.Extensions.Time.Testing;

namespace PipelinePki.Cli.Tests;

/// <summary>
/// Only the branch of the command tree a command line names is built (start-up time of every CI step).
/// These tests hold that to "nothing a user can see changes": the same help, errors and exit codes as the whole tree.
/// </summary>
public sealed class CommandTreeTests
{
    private static readonly string[] RootValueOptions = ["--ci", "--audit-log", "--dotenv"];

    private static CliApp NewApp(TextWriter output, TextWriter error, bool everyCommand = false) =>
        new(output, error, _ => null, new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero))) { BuildEveryCommand = everyCommand };

    private static async Task<(int Code, string Out, string Err)> RunAsync(bool everyCommand, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await NewApp(output, error, everyCommand).RunAsync(args, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Every command path of the whole tree, e.g. ["cert", "verify"].</summary>
    public static TheoryData<string[]> EveryCommandPath()
    {
        var root = NewApp(TextWriter.Null, TextWriter.Null).BuildRootCommand([]);
        var paths = new TheoryData<string[]>();
        void Walk(Command command, string[] path)
        {
            paths.Add(path);
            foreach (var child in command.Subcommands)
            {
                Walk(child, [.. path, child.Name]);
            }
        }

        foreach (var top in root.Subcommands)
        {
            Walk(top, [top.Name]);
        }

        return paths;
    }

    [Theory]
    [InlineData(new[] { "cert", "verify", "leaf.pem" }, new[] { "cert", "verify" })]
    [InlineData(new[] { "--ci", "none", "cert", "verify" }, new[] { "cert", "verify" })]
    [InlineData(new[] { "cert", "--audit-log", "a.jsonl", "-v", "verify" }, new[] { "cert", "verify" })]
    [InlineData(new[] { "--ci=none", "sign", "file" }, new[] { "sign", "file" })]
    [InlineData(new[] { "--verbose", "--help" }, new string[0])]
    [InlineData(new[] { "@args.rsp" }, new string[0])]
    [InlineData(new[] { "[diagram]", "cert", "verify" }, new string[0])]
    [InlineData(new[] { "cert", "@more.rsp" }, new[] { "cert" })]
    [InlineData(new[] { "--", "cert" }, new string[0])]
    public void CommandWords_SkipRootOptionsAndTheirValues_StopAtAnythingUncertain(string[] args, string[] expected)
    {
        Assert.Equal(expected, CommandWords.Leading(args, RootValueOptions, 2));
    }

    [Fact]
    public void CertVerify_BuildsOnlyThatBranch()
    {
        var root = NewApp(TextWriter.Null, TextWriter.Null).BuildRootCommand(["cert", "verify"]);

        var cert = Assert.Single(root.Subcommands);
        Assert.Equal("cert", cert.Name);
        Assert.Equal("verify", Assert.Single(cert.Subcommands).Name);
    }

    [Fact]
    public void UnknownWord_BuildsEveryChildAtThatLevel()
    {
        var whole = NewApp(TextWriter.Null, TextWriter.Null).BuildRootCommand([]);
        var typo = NewApp(TextWriter.Null, TextWriter.Null).BuildRootCommand(["cert", "verfy"]);
        var unknown = NewApp(TextWriter.Null, TextWriter.Null).BuildRootCommand(["certs", "verify"]);

        Assert.True(whole.Subcommands.Count > 10);
        Assert.Equal("cert", Assert.Single(typo.Subcommands).Name);
        Assert.Equal(
            whole.Subcommands.Single(c => c.Name == "cert").Subcommands.Select(c => c.Name),
            typo.Subcommands.Single().Subcommands.Select(c => c.Name));
        Assert.Equal(whole.Subcommands.Select(c => c.Name), unknown.Subcommands.Select(c => c.Name));
    }

    [Theory]
    [MemberData(nameof(EveryCommandPath))]
    public async Task Help_IsTheSameAsFromTheWholeTree(string[] path)
    {
        var selective = await RunAsync(false, [.. path, "--help"]);
        var whole = await RunAsync(true, [.. path, "--help"]);

        Assert.Equal(whole, selective);
        Assert.Equal(0, selective.Code);
        if (path is not ["github-action" or "gitlab-component"])
        {
            // The hidden wrapper entry points hand --help on to the command they run.
            Assert.Contains(string.Join(' ', path), selective.Out);
        }
    }

    [Theory]
    [InlineData("cert", "verfy")]
    [InlineData("cert", "verify")]
    [InlineData("cert", "verify", "leaf.pem", "--purpose", "bogus")]
    [InlineData("certs", "verify")]
    [InlineData("--ci", "none", "ca")]
    [InlineData("cert", "--bogus", "verify", "x")]
    [InlineData("verify")]
    public async Task Errors_AreTheSameAsFromTheWholeTree(params string[] args)
    {
        var selective = await RunAsync(false, args);
        var whole = await RunAsync(true, args);

        Assert.NotEqual(0, selective.Code);
        Assert.Equal(whole, selective);
    }
}
