using System.Text.Json;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Vault;

namespace PipelinePki.Sources.Vault.Tests;

/// <summary>
/// The round trip a pipeline makes (issue, verify, fetch the chain, revoke, fetch the CRL) through the
/// CLI against a real Vault when VAULT_ADDR and VAULT_TOKEN are set (role from VAULT_PKI_ROLE, mount
/// from VAULT_PKI_MOUNT, name from VAULT_PKI_NAME), and otherwise against the stand-in at its address.
/// Never skipped: whichever Vault is there must do the whole round trip.
/// </summary>
public sealed class VaultLiveTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task RoundTrip_AgainstVaultAddrOrTheStandIn_IssueVerifyRevokeCrl()
    {
        var address = Environment.GetEnvironmentVariable("VAULT_ADDR");
        var token = Environment.GetEnvironmentVariable("VAULT_TOKEN");
        await using var standIn = string.IsNullOrEmpty(address) || string.IsNullOrEmpty(token)
            ? await VaultStandIn.StartAsync(temp.Combine("vault-ca"))
            : null;
        var environment = new Dictionary<string, string?>
        {
            ["VAULT_ADDR"] = standIn?.Address.AbsoluteUri ?? address,
            ["VAULT_TOKEN"] = standIn?.Options.RootToken ?? token,
        };
        var mount = Environment.GetEnvironmentVariable("VAULT_PKI_MOUNT") is { Length: > 0 } m && standIn is null ? m : "pki";
        var role = Environment.GetEnvironmentVariable("VAULT_PKI_ROLE") is { Length: > 0 } r && standIn is null ? r : "ci";
        var name = Environment.GetEnvironmentVariable("VAULT_PKI_NAME") is { Length: > 0 } n && standIn is null ? n : "live.example.internal";
        var output = temp.Combine("out");

        var issue = await RunAsync(environment, "cert", "issue", "--source", "vault", "--mount", mount, "--role", role, "--name", name, "--ttl", "1h",
            "--out", output, "--home", temp.Combine("home"), "--format", "json");
        Assert.True(issue.ExitCode == 0, issue.ToString());
        var serial = JsonDocument.Parse(issue.StandardOutput).RootElement.GetProperty("serial").GetString()!;

        var chain = await RunAsync(environment, "ca", "fetch", "--source", "vault", "--mount", mount, "--chain", "--out", temp.Combine("ca-chain.pem"));
        Assert.True(chain.ExitCode == 0, chain.ToString());

        // A real mount may not send its root: trust the fetched chain as a partial chain then.
        var verify = await OpenSsl.RunAsync("verify", "-partial_chain", "-CAfile", temp.Combine("ca-chain.pem"), "-untrusted", Path.Combine(output, "chain.pem"), Path.Combine(output, "cert.pem"));
        Assert.True(verify.ExitCode == 0, verify.ToString());

        var revoke = await RunAsync(environment, "ca", "revoke", "--source", "vault", "--mount", mount, "--serial", serial, "--home", temp.Combine("home"));
        Assert.True(revoke.ExitCode == 0, revoke.ToString());

        var crl = await RunAsync(environment, "ca", "fetch", "--source", "vault", "--mount", mount, "--crl", "--out", temp.Combine("ca.crl"));
        Assert.True(crl.ExitCode == 0, crl.ToString());
        var crlText = await OpenSsl.RunAsync("crl", "-in", temp.Combine("ca.crl"), "-noout", "-text");
        Assert.Contains(serial, crlText.StandardOutput.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant(), StringComparison.Ordinal);
    }

    private static async Task<ProcessResult> RunAsync(Dictionary<string, string?> environment, params string[] arguments)
    {
        var result = await CliProcess.RunAsync(environment, null, arguments);
        Assert.DoesNotContain(environment["VAULT_TOKEN"]!, result.Combined, StringComparison.Ordinal);
        return result;
    }
}
