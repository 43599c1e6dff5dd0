using System.Text.Json;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class RenewTests
{
    private static async Task<CliSession> IssuedAsync()
    {
        var cli = new CliSession();
        await cli.InitAsync();
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "svc", "--san", "dns:svc.e2e.internal", "--san", "uri:spiffe://e2e.internal/svc",
            "--ttl", "24h", "--passphrase-env", "PIPELINE_PKI_CA_PASSPHRASE", "--out", cli.PathOf("out"));
        return cli;
    }

    private static async Task<string> SpkiAsync(string certificate) =>
        (await OpenSsl.RunAsync("x509", "-in", certificate, "-noout", "-pubkey")).StandardOutput;

    private static async Task<string> SerialAsync(string certificate) =>
        (await OpenSsl.RunAsync("x509", "-in", certificate, "-noout", "-serial")).StandardOutput.Trim()["serial=".Length..];

    [Fact]
    public async Task Issue_WritesIssueJson_OptionsAsGiven_NoSecret()
    {
        using var cli = await IssuedAsync();
        var text = await File.ReadAllTextAsync(cli.PathOf("out", "issue.json"));
        Assert.DoesNotContain(CliSession.Passphrase, text, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        var options = json.RootElement.GetProperty("options").EnumerateArray()
            .Select(o => $"{o.GetProperty("option").GetString()} {string.Join(",", o.GetProperty("values").EnumerateArray().Select(v => v.GetString()))}")
            .ToList();
        Assert.Equal(
            [$"--home {cli.Home}", "--name svc", "--san dns:svc.e2e.internal,uri:spiffe://e2e.internal/svc", "--ttl 24h", "--passphrase-env PIPELINE_PKI_CA_PASSPHRASE"],
            options);
        Assert.Equal("local", json.RootElement.GetProperty("source").GetString());
        var request = json.RootElement.GetProperty("request");
        Assert.Equal("svc", request.GetProperty("name").GetString());
        Assert.Equal("mtls", request.GetProperty("profile").GetString());
        Assert.Equal("1d", request.GetProperty("ttl").GetString());
        Assert.Equal("ecdsa-p384", request.GetProperty("keyType").GetString());
        Assert.Equal(2, request.GetProperty("sans").GetArrayLength());
    }

    [Fact]
    public async Task Renew_NotDue_ByPercentageOrAbsolute_ChangesNothing()
    {
        using var cli = await IssuedAsync();
        var before = Directory.GetFiles(cli.PathOf("out")).ToDictionary(f => f, File.ReadAllBytes);
        foreach (var threshold in new[] { "33%", "8h", "23h" })
        {
            var result = await cli.RunOkAsync("cert", "renew", "--cert", cli.PathOf("out"), "--before", threshold);
            Assert.Contains("not renewed", result.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("not due", result.StandardOutput, StringComparison.Ordinal);
        }

        var json = await cli.RunOkAsync("cert", "renew", "--cert", cli.PathOf("out"), "--format", "json");
        using (var document = JsonDocument.Parse(json.StandardOutput))
        {
            Assert.False(document.RootElement.GetProperty("renewed").GetBoolean());
        }

        Assert.Equal(before.Keys.Order(), Directory.GetFiles(cli.PathOf("out")).Order());
        Assert.All(before, pair => Assert.Equal(pair.Value, File.ReadAllBytes(pair.Key)));
        ErrorAssert.OneLine(await cli.RunAsync("cert", "renew", "--cert", cli.PathOf("out"), "--before", "150%"), 2, "--before");
    }

    [Fact]
    public async Task Renew_Due_FreshKeyThenReusedKey_ChainVerifies_InventoryHasAll_FilesReplacedTogether()
    {
        using var cli = await IssuedAsync();
        var cert = cli.PathOf("out", "cert.pem");
        var firstSerial = await SerialAsync(cert);
        var firstKey = await SpkiAsync(cert);
        var recorded = JsonDocument.Parse(await File.ReadAllTextAsync(cli.PathOf("out", "issue.json"))).RootElement.GetProperty("options").GetRawText();

        // Due by an absolute margin larger than the remaining lifetime: a fresh key.
        var renewed = await cli.RunOkAsync("cert", "renew", "--cert", cli.PathOf("out"), "--before", "25h", "--format", "json");
        using (var json = JsonDocument.Parse(renewed.StandardOutput))
        {
            Assert.True(json.RootElement.GetProperty("renewed").GetBoolean());
            Assert.Equal(firstSerial, json.RootElement.GetProperty("previousSerial").GetString());
        }

        var secondSerial = await SerialAsync(cert);
        Assert.NotEqual(firstSerial, secondSerial);
        Assert.NotEqual(firstKey, await SpkiAsync(cert));
        var keyPublic = (await OpenSsl.RunAsync("pkey", "-in", cli.PathOf("out", "key.pem"), "-pubout")).StandardOutput;
        Assert.Equal(await SpkiAsync(cert), keyPublic);
        var verified = await OpenSsl.VerifyAsync(cli.PathOf("out", "root.pem"), cli.PathOf("out", "chain.pem"), cert, "sslclient");
        Assert.True(verified.ExitCode == 0, verified.ToString());
        var fullchain = await File.ReadAllTextAsync(cli.PathOf("out", "fullchain.pem"));
        Assert.StartsWith(await File.ReadAllTextAsync(cert), fullchain, StringComparison.Ordinal);
        Assert.Equal(recorded, JsonDocument.Parse(await File.ReadAllTextAsync(cli.PathOf("out", "issue.json"))).RootElement.GetProperty("options").GetRawText());
        var mode = File.GetUnixFileMode(cli.PathOf("out", "key.pem"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);

        // Due by percentage, keeping the key: same SPKI, new serial.
        var keyBefore = await File.ReadAllBytesAsync(cli.PathOf("out", "key.pem"));
        await cli.RunOkAsync("cert", "renew", "--cert", cli.PathOf("out"), "--before", "100%", "--reuse-key");
        var thirdSerial = await SerialAsync(cert);
        Assert.NotEqual(secondSerial, thirdSerial);
        Assert.Equal(keyPublic, await SpkiAsync(cert));
        Assert.Equal(keyBefore, await File.ReadAllBytesAsync(cli.PathOf("out", "key.pem")));
        var san = (await OpenSsl.RunAsync("x509", "-in", cert, "-noout", "-ext", "subjectAltName")).StandardOutput;
        Assert.Contains("DNS:svc.e2e.internal", san, StringComparison.Ordinal);
        Assert.Contains("URI:spiffe://e2e.internal/svc", san, StringComparison.Ordinal);

        // Nothing staged is left behind; the inventory shows every issuance.
        Assert.Equal(["cert.pem", "chain.pem", "fullchain.pem", "issue.json", "key.pem", "root.pem"],
            Directory.EnumerateFileSystemEntries(cli.PathOf("out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var inventory = await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json");
        using var rows = JsonDocument.Parse(inventory.StandardOutput);
        var serials = rows.RootElement.EnumerateArray().Where(r => r.GetProperty("subject").GetString() == "CN=svc").Select(r => r.GetProperty("serial").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { firstSerial, secondSerial, thirdSerial }, serials);
    }

    [Fact]
    public async Task Renew_ReplayFails_OldFilesUntouched_OneErrorLine()
    {
        using var cli = await IssuedAsync();
        var before = Directory.GetFiles(cli.PathOf("out")).ToDictionary(f => f, File.ReadAllBytes);
        cli.Environment.Remove("PIPELINE_PKI_CA_PASSPHRASE");
        var failed = await cli.RunAsync("cert", "renew", "--cert", cli.PathOf("out"), "--before", "100%");
        ErrorAssert.OneLine(failed, 2, "no passphrase was given");
        var json = await cli.RunAsync("cert", "renew", "--cert", cli.PathOf("out"), "--before", "100%", "--format", "json");
        Assert.Equal(2, json.ExitCode);
        using (var document = JsonDocument.Parse(json.StandardOutput))
        {
            Assert.Equal(2, document.RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
        }

        Assert.Equal(before.Keys.Order(), Directory.GetFiles(cli.PathOf("out")).Order());
        Assert.All(before, pair => Assert.Equal(pair.Value, File.ReadAllBytes(pair.Key)));
        Assert.Empty(Directory.GetDirectories(cli.PathOf("out")));
        ErrorAssert.OneLine(await cli.RunAsync("cert", "renew", "--cert", cli.PathOf("nothing")), 3, "issue.json");
    }
}

public class CiIdentityTests
{
    private static void GitHub(CliSession cli, string workflowRef)
    {
        cli.Environment["GITHUB_ACTIONS"] = "true";
        cli.Environment["GITHUB_SERVER_URL"] = "https://github.com";
        cli.Environment["GITHUB_WORKFLOW_REF"] = workflowRef;
        cli.Environment["GITHUB_REPOSITORY"] = "acme/app";
    }

    private static async Task<string> UriSanAsync(string certificate) =>
        (await OpenSsl.RunAsync("x509", "-in", certificate, "-noout", "-ext", "subjectAltName")).StandardOutput;

    [Fact]
    public async Task CiIdentity_GitHub_SignedArtifactMatchesReleaseOnMainOnly()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        await File.WriteAllTextAsync(cli.PathOf("app.txt"), "release artifact\n");
        const string Release = "^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/heads/main$";
        foreach (var (name, workflowRef) in new[] { ("main", "acme/app/.github/workflows/release.yml@refs/heads/main"), ("feature", "acme/app/.github/workflows/release.yml@refs/heads/feature") })
        {
            GitHub(cli, workflowRef);
            await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "release", "--profile", "code-signing", "--ci-identity", "--out", cli.PathOf(name));
            Assert.Contains($"URI:https://github.com/{workflowRef}", await UriSanAsync(cli.PathOf(name, "cert.pem")), StringComparison.Ordinal);
            await cli.RunOkAsync("sign", cli.PathOf("app.txt"), "--key", cli.PathOf(name, "key.pem"), "--cert", cli.PathOf(name, "fullchain.pem"), "--home", cli.Home, "--out-dir", cli.PathOf(name, "sig"));
        }

        string[] Verify(string name) =>
            ["verify", cli.PathOf("app.txt"), "--signature", cli.PathOf(name, "sig", "app.txt.p7s"), "--trust", cli.PathOf("ca", "root.pem"), "--revocation", "none", "--identity", Release.Trim('^', '$')];
        var main = await cli.RunOkAsync(Verify("main"));
        Assert.Contains("ok   identity", main.StandardOutput, StringComparison.Ordinal);
        var feature = await cli.RunAsync(Verify("feature"));
        Assert.Equal(4, feature.ExitCode);
        Assert.Contains("FAIL identity", feature.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("refs/heads/feature", feature.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CiIdentity_GitLabAndAzureForms_AndRefusedOutsideCi()
    {
        using var cli = new CliSession();
        await cli.InitAsync();
        cli.Environment["GITLAB_CI"] = "true";
        cli.Environment["CI_CONFIG_REF_URI"] = "gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main";
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "gl", "--ci-identity", "--out", cli.PathOf("gl"));
        Assert.Contains("URI:https://gitlab.example.com/acme/app//.gitlab-ci.yml@refs/heads/main", await UriSanAsync(cli.PathOf("gl", "cert.pem")), StringComparison.Ordinal);

        cli.Environment.Remove("GITLAB_CI");
        cli.Environment["TF_BUILD"] = "True";
        cli.Environment["SYSTEM_COLLECTIONURI"] = "https://dev.azure.com/acme/";
        cli.Environment["SYSTEM_TEAMPROJECT"] = "Build Tools";
        cli.Environment["SYSTEM_DEFINITIONID"] = "17";
        cli.Environment["BUILD_SOURCEBRANCH"] = "refs/heads/main";
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "az", "--ci-identity", "--out", cli.PathOf("az"));
        Assert.Contains("URI:https://dev.azure.com/acme/Build%20Tools/_build/definition/17@refs/heads/main", await UriSanAsync(cli.PathOf("az", "cert.pem")), StringComparison.Ordinal);

        // Without a platform the option is refused rather than silently ignored; nothing is written.
        cli.Environment.Remove("TF_BUILD");
        ErrorAssert.OneLine(await cli.RunAsync("cert", "issue", "--home", cli.Home, "--name", "none", "--ci-identity", "--out", cli.PathOf("none")), 3, "--ci-identity");
        Assert.False(Directory.Exists(cli.PathOf("none")));

        // A detected platform with its variable missing names the variable.
        cli.Environment["GITHUB_ACTIONS"] = "true";
        ErrorAssert.OneLine(await cli.RunAsync("cert", "issue", "--home", cli.Home, "--name", "gh", "--ci-identity", "--out", cli.PathOf("gh")), 3, "GITHUB_SERVER_URL");
    }
}
