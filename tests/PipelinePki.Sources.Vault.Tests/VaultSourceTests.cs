using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Inventory;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Vault;

namespace PipelinePki.Sources.Vault.Tests;

/// <summary>The Vault source against the stand-in: documented paths and JSON, a real CA signing, OpenSSL judging.</summary>
public sealed class VaultSourceTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task IssueAsync_DefaultMode_SignsLocalCsr_KeyNeverSent_OpenSslVerifiesChain()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault));

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request("build.example.internal", "dns:api.example.internal", "ip:10.1.2.3", "uri:spiffe://example.internal/ci"), CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);

        var sign = Assert.Single(vault.Requests, r => r.Path == "v1/pki/sign/ci");
        var body = JsonNode.Parse(sign.Body)!;
        Assert.StartsWith("-----BEGIN CERTIFICATE REQUEST-----", (string?)body["csr"], StringComparison.Ordinal);
        Assert.Equal("build.example.internal", (string?)body["common_name"]);
        Assert.Equal("api.example.internal", (string?)body["alt_names"]);
        Assert.Equal("10.1.2.3", (string?)body["ip_sans"]);
        Assert.Equal("spiffe://example.internal/ci", (string?)body["uri_sans"]);
        Assert.Equal("86400s", (string?)body["ttl"]);
        Assert.Equal("pem", (string?)body["format"]);
        Assert.DoesNotContain("PRIVATE KEY", sign.Body, StringComparison.Ordinal);
        Assert.Equal(vault.Options.RootToken, sign.Token);

        Assert.NotNull(issued.PrivateKey);
        Assert.Equal("vault", issued.Record.Source);
        Assert.Equal("ecdsa-p384", issued.Record.KeyType);
        Assert.Contains("dns:api.example.internal", issued.Record.SubjectAlternativeNames);
        Assert.NotNull(files.Root);
        Assert.Equal(PkiObjectReader.ReadSingleCertificate(vault.RootCertificatePath), PkiObjectReader.ReadSingleCertificate(files.Root!));
        var verdict = await OpenSsl.VerifyAsync(files.Root!, files.Chain, files.Certificate, "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.PrivateKey!));
        var modulus = await OpenSsl.RunAsync("x509", "-in", files.Certificate, "-noout", "-pubkey");
        var keyPublic = await OpenSsl.RunAsync("pkey", "-in", files.PrivateKey!, "-pubout");
        Assert.Equal(modulus.StandardOutput, keyPublic.StandardOutput);
        harness.AssertLogsFree(vault.Options.RootToken);
    }

    [Fact]
    public async Task IssueAsync_GenerateKey_UsesIssueEndpoint_KeyFromVaultMatchesCertificate()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault) with { GenerateKey = true });

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);

        var request = Assert.Single(vault.Requests, r => r.Path == "v1/pki/issue/ci");
        Assert.Null((string?)JsonNode.Parse(request.Body)!["csr"]);
        Assert.Equal("pkcs8", (string?)JsonNode.Parse(request.Body)!["private_key_format"]);
        var certificateKey = await OpenSsl.RunAsync("x509", "-in", files.Certificate, "-noout", "-pubkey");
        var fileKey = await OpenSsl.RunAsync("pkey", "-in", files.PrivateKey!, "-pubout");
        Assert.Equal(certificateKey.StandardOutput, fileKey.StandardOutput);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(files.PrivateKey!));
        harness.AssertLogsFree(vault.Options.RootToken);
    }

    [Fact]
    public async Task IssueAsync_ChainWithoutRoot_WritesNoRootFile_ChainStillVerifiesAgainstTheCa()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { IncludeRootInChain = false });
        await using var harness = new VaultHarness(VaultHarness.Options(vault));

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);

        Assert.Null(issued.Root);
        Assert.Null(files.Root);
        Assert.False(File.Exists(temp.Combine("out", "root.pem")));
        var verdict = await OpenSsl.VerifyAsync(vault.RootCertificatePath, files.Chain, files.Certificate, "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
    }

    [Fact]
    public async Task IssueAsync_AppRole_LogsInThenSignsWithTheLoginToken_NoSecretLogged()
    {
        var roleId = "role-" + Guid.NewGuid();
        var secretId = "secret-" + Guid.NewGuid();
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { AppRoleMount = "ci-approle", AppRoleRoleId = roleId, AppRoleSecretId = secretId });
        var auth = new VaultAppRoleAuthentication("ci-approle", new VaultSecret("role id", _ => Task.FromResult(roleId)), new VaultSecret("secret id", _ => Task.FromResult(secretId)));
        await using var harness = new VaultHarness(VaultHarness.Options(vault, auth));

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);

        var login = Assert.Single(vault.Requests, r => r.Path == "v1/auth/ci-approle/login");
        Assert.Equal(roleId, (string?)JsonNode.Parse(login.Body)!["role_id"]);
        var sign = Assert.Single(vault.Requests, r => r.Path == "v1/pki/sign/ci");
        Assert.StartsWith("hvs.", sign.Token, StringComparison.Ordinal);
        Assert.NotEqual(vault.Options.RootToken, sign.Token);
        harness.AssertLogsFree(secretId, sign.Token);
    }

    [Fact]
    public async Task IssueAsync_AppRoleWrongSecret_FailsNamingTheMethod_NotRetried_SecretRedacted()
    {
        var secretId = "secret-" + Guid.NewGuid();
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { AppRoleRoleId = "role", AppRoleSecretId = "the-right-one" });
        var auth = new VaultAppRoleAuthentication("approle", new VaultSecret("role id", _ => Task.FromResult("role")), new VaultSecret("secret id", _ => Task.FromResult(secretId)));
        await using var harness = new VaultHarness(VaultHarness.Options(vault, auth));

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));

        Assert.Contains("AppRole login failed", error.Message, StringComparison.Ordinal);
        Assert.Contains($"POST {vault.Url}/v1/auth/approle/login", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid role or secret ID", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secretId, error.Message, StringComparison.Ordinal);
        Assert.Single(vault.Requests);
        harness.AssertLogsFree(secretId);
    }

    [Fact]
    public async Task IssueAsync_JwtWithWorkloadIdentity_AsksForTheAudience_AndLogsIn()
    {
        var identity = new SpyWorkloadIdentity("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2ln");
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { JwtMount = "gha", JwtRole = "release", AcceptedJwts = ["eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2ln"] });
        var auth = new VaultJwtAuthentication("gha", "release", new VaultSecret("ID token", ct => identity.RequestIdTokenAsync("https://vault.example.internal", ct)));
        await using var harness = new VaultHarness(VaultHarness.Options(vault, auth));

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);

        Assert.Equal(["https://vault.example.internal"], identity.Audiences);
        var login = Assert.Single(vault.Requests, r => r.Path == "v1/auth/gha/login");
        Assert.Equal("release", (string?)JsonNode.Parse(login.Body)!["role"]);
        harness.AssertLogsFree("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2ln");
    }

    [Fact]
    public async Task IssueAsync_JwtRefused_SaysJwtLoginFailed_WithoutTheJwt()
    {
        const string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.c2ln";
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { AcceptedJwts = ["eyJ.other.token"] });
        var auth = new VaultJwtAuthentication("jwt", "ci", new VaultSecret("ID token", _ => Task.FromResult(jwt)));
        await using var harness = new VaultHarness(VaultHarness.Options(vault, auth));

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));

        Assert.Contains("JWT login failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid audience", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(jwt, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IssueAsync_RoleRefusesTheName_PolicyViolationVaultRole_NotRetried()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault));

        var error = await Assert.ThrowsAsync<PolicyViolationException>(() => harness.Source.IssueAsync(VaultHarness.Request("build.other.org"), CancellationToken.None));

        Assert.Equal("vault-role", error.Rule);
        Assert.Contains("common name build.other.org not allowed by this role", error.Message, StringComparison.Ordinal);
        Assert.Contains($"POST {vault.Url}/v1/pki/sign/ci", error.Message, StringComparison.Ordinal);
        Assert.Single(vault.Requests, r => r.Path == "v1/pki/sign/ci");
    }

    [Fact]
    public async Task IssueAsync_TokenRefused403_OneMessageNamingTheTokenOrigin_NotRetried()
    {
        const string wrong = "hvs.CAESIwrongwrongwrongwrongwrongwrong";
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        var auth = new VaultTokenAuthentication(new VaultSecret("environment variable VAULT_TOKEN", _ => Task.FromResult(wrong)));
        await using var harness = new VaultHarness(VaultHarness.Options(vault, auth));

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));

        Assert.Contains("403 permission denied", error.Message, StringComparison.Ordinal);
        Assert.Contains("environment variable VAULT_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.Message, StringComparison.Ordinal);
        Assert.Single(vault.Requests);
        harness.AssertLogsFree(wrong);
    }

    [Fact]
    public async Task IssueAsync_Namespace_SentOnEveryRequest_AndMissingNamespaceExplained()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { Namespace = "team-a/ci" });
        await using (var harness = new VaultHarness(VaultHarness.Options(vault) with { Namespace = "team-a/ci" }))
        {
            using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
            Assert.All(vault.Requests, r => Assert.Equal("team-a/ci", r.Namespace));
        }

        await using var without = new VaultHarness(VaultHarness.Options(vault));
        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => without.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));
        Assert.Contains("404", error.Message, StringComparison.Ordinal);
        Assert.Contains("check --mount 'pki' and --role 'ci'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IssueAsync_WrapTtl_AsksForWrapping_UnwrapsWithTheWrappingTokenOnly()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault) with { WrapTtl = TimeSpan.FromSeconds(90), GenerateKey = true });

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);

        var issue = Assert.Single(vault.Requests, r => r.Path == "v1/pki/issue/ci");
        Assert.Equal("90s", issue.WrapTtl);
        var unwrap = Assert.Single(vault.Requests, r => r.Path == "v1/sys/wrapping/unwrap");
        Assert.StartsWith("hvs.wrap", unwrap.Token, StringComparison.Ordinal);
        Assert.Equal(string.Empty, unwrap.Body);
        Assert.NotNull(issued.PrivateKey);
        harness.AssertLogsFree(vault.Options.RootToken, unwrap.Token);
    }

    [Fact]
    public async Task IssueAsync_StandbyAnswers307_FollowsToTheActiveNodeWithMethodBodyAndToken()
    {
        await using var active = await VaultStandIn.StartAsync(temp.Combine("active-ca"));
        await using var standby = await VaultStandIn.StartAsync(temp.Combine("standby-ca"), new VaultStandInOptions { RedirectTo = active.Address, RootToken = active.Options.RootToken });
        await using var harness = new VaultHarness(VaultHarness.Options(active) with { Address = standby.Address });

        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);

        Assert.Single(standby.Requests, r => r.Path == "v1/pki/sign/ci");
        var signed = Assert.Single(active.Requests, r => r.Path == "v1/pki/sign/ci");
        Assert.Equal("POST", signed.Method);
        Assert.Contains("CERTIFICATE REQUEST", signed.Body, StringComparison.Ordinal);
        Assert.Equal(active.Options.RootToken, signed.Token);
        var verdict = await OpenSsl.RunAsync("verify", "-CAfile", active.RootCertificatePath, "-untrusted", active.Authority.Home.IntermediateCertificatePath, WritePem(issued.Certificate));
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
    }

    [Fact]
    public async Task IssueAsync_VaultOverMutualTls_WorksWithCaAndClientCertificate_FailsWithout()
    {
        var tlsCa = await ThrowawayCa.CreateAsync(temp.Combine("tls-ca"), TimeProvider.System);
        using var serverCertificate = await VaultStandIn.ServerCertificateAsync(tlsCa);
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions
        {
            ServerCertificate = serverCertificate,
            ServerCertificateChain = VaultStandIn.IntermediateOf(tlsCa),
            ClientCa = VaultStandIn.AuthoritiesOf(tlsCa),
        });
        Assert.Equal("https", vault.Address.Scheme);
        using var client = await VaultStandIn.CertificateWithKeyAsync(tlsCa, "runner", CertificateProfile.Client);
        var clientCert = temp.Combine("client.pem");
        var clientKey = temp.Combine("client.key");
        File.WriteAllText(clientCert, client.ExportCertificatePem());
        File.WriteAllText(clientKey, client.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

        await using (var harness = new VaultHarness(VaultHarness.Options(vault) with { CaFile = tlsCa.Home.RootCertificatePath, ClientCertificateFile = clientCert, ClientKeyFile = clientKey }))
        {
            using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
            Assert.Equal("vault", issued.Record.Source);
        }

        await using (var noClientCert = new VaultHarness(VaultHarness.Options(vault) with { CaFile = tlsCa.Home.RootCertificatePath, Timeout = TimeSpan.FromSeconds(2) }))
        {
            var error = await Assert.ThrowsAsync<RemoteFailureException>(() => noClientCert.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));
            Assert.Contains($"POST {vault.Url}/v1/pki/sign/ci", error.Message, StringComparison.Ordinal);
        }

        // Vault's TLS certificate does not chain to the signing CA: refused before any token is sent.
        await using var wrongTrust = new VaultHarness(VaultHarness.Options(vault) with { CaFile = vault.RootCertificatePath, ClientCertificateFile = clientCert, ClientKeyFile = clientKey, Timeout = TimeSpan.FromSeconds(2) });
        var refused = await Assert.ThrowsAsync<RemoteFailureException>(() => wrongTrust.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None));
        Assert.Contains("connection failed", refused.Message, StringComparison.Ordinal);
        Assert.Single(vault.Requests);
    }

    [Fact]
    public async Task RevokeAsync_RevokesInVault_UpdatesInventory_CrlAndChainFetchedAndJudgedByOpenSsl()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        var inventory = temp.Combine("home", "inventory.db");
        await using var harness = new VaultHarness(VaultHarness.Options(vault) with { InventoryPath = inventory });
        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);
        using (var store = InventoryStore.Open(inventory))
        {
            Assert.Equal("vault", store.Find(issued.Record.Serial)!.Source);
        }

        var record = await harness.Source.RevokeAsync(new RevokeRequest(issued.Record.Serial, "keyCompromise"), CancellationToken.None);

        Assert.Equal(CertificateStatus.Revoked, record.Status);
        Assert.Equal("keyCompromise", record.RevocationReason);
        var revoke = Assert.Single(vault.Requests, r => r.Path == "v1/pki/revoke");
        Assert.Equal(VaultSource.ColonSerial(issued.Record.Serial), (string?)JsonNode.Parse(revoke.Body)!["serial_number"]);
        var crlFile = temp.Combine("vault.crl");
        File.WriteAllBytes(crlFile, await harness.Source.FetchAsync(VaultPublication.Crl, CancellationToken.None));
        var crl = await OpenSsl.RunAsync("crl", "-inform", "DER", "-in", crlFile, "-noout", "-text");
        Assert.Contains(issued.Record.Serial, crl.StandardOutput.Replace(":", string.Empty, StringComparison.Ordinal).ToUpperInvariant(), StringComparison.Ordinal);
        var chainFile = temp.Combine("chain.pem");
        File.WriteAllBytes(chainFile, await harness.Source.FetchAsync(VaultPublication.CaChain, CancellationToken.None));
        Assert.Equal(2, PkiObjectReader.ReadCertificates(chainFile).Count);
        var verifyCrl = await OpenSsl.RunAsync("crl", "-inform", "DER", "-in", crlFile, "-noout", "-CAfile", chainFile);
        Assert.True(verifyCrl.ExitCode == 0, verifyCrl.ToString());
    }

    [Fact]
    public async Task RevokeAsync_SerialNotInInventory_DescribesItFromVaultsCopy()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault));
        using var issued = await harness.Source.IssueAsync(VaultHarness.Request(), CancellationToken.None);

        var record = await harness.Source.RevokeAsync(new RevokeRequest(issued.Record.Serial, "unspecified"), CancellationToken.None);

        Assert.Equal(issued.Record.Serial, record.Serial);
        Assert.Equal(issued.Record.Subject, record.Subject);
        Assert.Equal(CertificateStatus.Revoked, record.Status);
        Assert.Single(vault.Requests, r => r.Path == $"v1/pki/cert/{VaultSource.ColonSerial(issued.Record.Serial)}");
    }

    [Fact]
    public async Task FetchAsync_MountServesNoChain_RemoteFailureNamingTheUrl()
    {
        await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"));
        await using var harness = new VaultHarness(VaultHarness.Options(vault) with { Mount = "not-pki" });

        var error = await Assert.ThrowsAsync<RemoteFailureException>(() => harness.Source.FetchAsync(VaultPublication.CaChain, CancellationToken.None));

        Assert.Contains($"GET {vault.Url}/v1/not-pki/ca_chain", error.Message, StringComparison.Ordinal);
        Assert.Contains("404", error.Message, StringComparison.Ordinal);
    }

    private string WritePem(X509Certificate2 certificate)
    {
        var path = temp.Combine(Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, Pem.Encode("CERTIFICATE", certificate.RawData));
        return path;
    }
}
