using System.Text.Json;
using PipelinePki.Core.Inventory;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Vault;

namespace PipelinePki.Sources.Vault.Tests;

/// <summary>
/// <c>pipeline-pki</c> as a process (the native AOT binary when PIPELINE_PKI_CLI names it) against the
/// stand-in: same files, JSON and exit codes as the local source, and no secret in any output.
/// </summary>
public sealed class VaultCliTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task CertIssue_SourceVault_WritesTheLocalSourcesFiles_JsonSaysVault_InventoryRecordsIt()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        var output = temp.Combine("out");

        var result = await RunAsync(vault, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.example.internal",
            "--san", "dns:api.example.internal", "--out", output, "--home", temp.Combine("home"), "--format", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("vault", json.RootElement.GetProperty("source").GetString());
        var serial = json.RootElement.GetProperty("serial").GetString()!;
        foreach (var file in new[] { "cert.pem", "chain.pem", "fullchain.pem", "root.pem", "key.pem" })
        {
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(output, "key.pem")));
        Assert.Equal(File.ReadAllText(Path.Combine(output, "cert.pem")) + File.ReadAllText(Path.Combine(output, "chain.pem")), File.ReadAllText(Path.Combine(output, "fullchain.pem")));
        var verdict = await OpenSsl.VerifyAsync(Path.Combine(output, "root.pem"), Path.Combine(output, "chain.pem"), Path.Combine(output, "cert.pem"), "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
        using var inventory = InventoryStore.Open(temp.Combine("home", "inventory.db"));
        Assert.Equal("vault", inventory.Find(serial)!.Source);
    }

    [Fact]
    public async Task CertIssue_VaultGenerateKeyWrapped_KeyFromVaultWritten0600()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        var output = temp.Combine("out");

        var result = await RunAsync(vault, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.example.internal",
            "--vault-generate-key", "--wrap-ttl", "30s", "--out", output, "--home", temp.Combine("home"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("source vault", result.StandardOutput, StringComparison.Ordinal);
        Assert.Single(vault.Requests, r => r.Path == "v1/pki/issue/ci" && r.WrapTtl == "30s");
        Assert.Single(vault.Requests, r => r.Path == "v1/sys/wrapping/unwrap");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(output, "key.pem")));
        var certKey = await OpenSsl.RunAsync("x509", "-in", Path.Combine(output, "cert.pem"), "-noout", "-pubkey");
        var fileKey = await OpenSsl.RunAsync("pkey", "-in", Path.Combine(output, "key.pem"), "-pubout");
        Assert.Equal(certKey.StandardOutput, fileKey.StandardOutput);
    }

    [Fact]
    public async Task CertIssue_RoleRefuses_Exit5WithVaultRoleRule_OneLine()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));

        var result = await RunAsync(vault, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.other.org", "--out", temp.Combine("out"), "--home", temp.Combine("home"));

        OneErrorLine(result, 5, "policy violation [vault-role]");
        Assert.Contains("common name build.other.org not allowed by this role", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.Combine("out", "key.pem")));
    }

    [Fact]
    public async Task CertIssue_Sealed_Exit6AfterRetriesWithinTimeout_JsonErrorDocument()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { Sealed = true });

        var result = await RunAsync(vault, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.example.internal",
            "--vault-timeout", "5s", "--out", temp.Combine("out"), "--home", temp.Combine("home"), "--format", "json");

        OneErrorLine(result, 6, $"POST {vault.Url}/v1/pki/sign/ci");
        Assert.Contains("Vault is sealed", result.StandardError, StringComparison.Ordinal);
        Assert.True(vault.Requests.Count > 1, "a sealed Vault should be retried");
        using var json = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal(6, json.RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task CertIssue_WrongToken_Exit6NamingTheVariable_NeverTheToken()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        const string wrong = "hvs.CAESIJwrongtokenvaluethatmustnotleak000";

        var result = await RunWithAsync(vault, new() { ["CI_VAULT_TOKEN"] = wrong }, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.example.internal",
            "--token-env", "CI_VAULT_TOKEN", "--out", temp.Combine("out"), "--home", temp.Combine("home"), "--verbose");

        OneErrorLine(result, 6, "environment variable CI_VAULT_TOKEN");
        Assert.DoesNotContain(wrong, result.Combined, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertIssue_AppRoleFromFilesAndJwtFromGitHub_BothLogInAndIssue()
    {
        await using var oidc = await OidcTokenStandIn.StartAsync();
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions
        {
            AppRoleRoleId = "role-id-1",
            AppRoleSecretId = "secret-id-that-must-not-leak",
            AcceptedJwts = [oidc.Jwt],
        });
        File.WriteAllText(temp.Combine("role-id"), "role-id-1\n");
        File.WriteAllText(temp.Combine("secret-id"), "secret-id-that-must-not-leak\n");

        var appRole = await RunWithAsync(vault, new() { ["VAULT_TOKEN"] = null }, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.example.internal",
            "--approle-role-id-file", temp.Combine("role-id"), "--approle-secret-id-file", temp.Combine("secret-id"), "--out", temp.Combine("a"), "--home", temp.Combine("home"), "--verbose");
        var jwt = await RunWithAsync(vault, new()
        {
            ["VAULT_TOKEN"] = null,
            ["ACTIONS_ID_TOKEN_REQUEST_URL"] = oidc.GitHubRequestUrl,
            ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = oidc.Bearer,
        }, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.example.internal",
            "--jwt-role", "ci", "--audience", "https://vault.example.internal", "--out", temp.Combine("j"), "--home", temp.Combine("home"), "--verbose");

        Assert.True(appRole.ExitCode == 0, appRole.ToString());
        Assert.True(jwt.ExitCode == 0, jwt.ToString());
        Assert.Single(vault.Requests, r => r.Path == "v1/auth/approle/login");
        Assert.Single(vault.Requests, r => r.Path == "v1/auth/jwt/login");
        Assert.Contains("audience=https%3A%2F%2Fvault.example.internal", Assert.Single(oidc.Queries), StringComparison.Ordinal);
        foreach (var secret in new[] { "secret-id-that-must-not-leak", oidc.Jwt, oidc.Bearer })
        {
            Assert.DoesNotContain(secret, appRole.Combined + jwt.Combined, StringComparison.Ordinal);
        }

        foreach (var login in vault.Requests.Where(r => r.Path.StartsWith("v1/pki/", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(login.Token!, appRole.Combined + jwt.Combined, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task CaRevokeAndFetch_SourceVault_RevokedSerialInTheFetchedCrl()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        var issue = await RunAsync(vault, "cert", "issue", "--source", "vault", "--role", "ci", "--name", "build.example.internal", "--out", temp.Combine("out"), "--home", temp.Combine("home"), "--format", "json");
        Assert.True(issue.ExitCode == 0, issue.ToString());
        var serial = JsonDocument.Parse(issue.StandardOutput).RootElement.GetProperty("serial").GetString()!;

        var revoke = await RunAsync(vault, "ca", "revoke", "--source", "vault", "--serial", serial, "--home", temp.Combine("home"), "--format", "json");
        var crl = await RunAsync(vault, "ca", "fetch", "--source", "vault", "--crl", "--out", temp.Combine("vault.crl.pem"));
        var chain = await RunAsync(vault, "ca", "fetch", "--source", "vault", "--chain", "--out", temp.Combine("vault-chain.pem"), "--format", "json");

        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Assert.Equal("revoked", JsonDocument.Parse(revoke.StandardOutput).RootElement.GetProperty("status").GetString());
        Assert.True(crl.ExitCode == 0, crl.ToString());
        Assert.True(chain.ExitCode == 0, chain.ToString());
        Assert.Equal("chain", JsonDocument.Parse(chain.StandardOutput).RootElement.GetProperty("kind").GetString());
        var text = await OpenSsl.RunAsync("crl", "-in", temp.Combine("vault.crl.pem"), "-noout", "-text", "-CAfile", temp.Combine("vault-chain.pem"));
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("verify OK", text.StandardError + text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(serial, text.StandardOutput.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant(), StringComparison.Ordinal);
        using var inventory = InventoryStore.Open(temp.Combine("home", "inventory.db"));
        Assert.Equal(CertificateStatus.Revoked, inventory.Find(serial)!.Status);
    }

    [Fact]
    public async Task CertIssue_NoVaultAddress_UsageExit2()
    {
        var result = await CliProcess.RunAsync(new Dictionary<string, string?> { ["VAULT_ADDR"] = null, ["VAULT_TOKEN"] = "x" }, temp.Path,
            "cert", "issue", "--source", "vault", "--role", "ci", "--name", "a.example.internal", "--out", temp.Combine("out"));

        OneErrorLine(result, 2, "--vault-addr");
    }

    private Task<ProcessResult> RunAsync(VaultStandIn vault, params string[] arguments) => RunWithAsync(vault, [], arguments);

    private async Task<ProcessResult> RunWithAsync(VaultStandIn vault, Dictionary<string, string?> extra, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>
        {
            ["VAULT_ADDR"] = vault.Address.AbsoluteUri,
            ["VAULT_TOKEN"] = vault.Options.RootToken,
            ["GITHUB_ACTIONS"] = null,
            ["TF_BUILD"] = null,
            ["GITLAB_CI"] = null,
        };
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }

        var result = await CliProcess.RunAsync(environment, temp.Path, arguments);
        Assert.DoesNotContain(vault.Options.RootToken, result.Combined, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY-----", result.Combined, StringComparison.Ordinal);
        if (!arguments.Contains("--verbose"))
        {
            Assert.DoesNotContain("   at ", result.StandardError, StringComparison.Ordinal);
        }

        return result;
    }

    private static void OneErrorLine(ProcessResult result, int exitCode, string mentions)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit {exitCode}\n{result}");
        var errors = result.StandardError.Split('\n').Where(l => l.StartsWith("pipeline-pki: error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, result.ToString());
        Assert.Contains(mentions, errors[0], StringComparison.Ordinal);
    }
}
