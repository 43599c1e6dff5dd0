using System.Text;
using System.Xml.Linq;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// <c>nuget=SOURCE[,NAME]</c>: the source (when not already listed) and a <c>fileCert</c> client
/// certificate entry for it, pointing at a PKCS#12 file, in the user's NuGet.Config.
/// </summary>
internal sealed class NugetConfigurator : IMtlsConfigurator
{
    public string Kind => "nuget";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var path = context.UnderHome(".nuget", "NuGet", "NuGet.Config");
        var text = context.ReadText(path);
        XDocument document;
        try
        {
            document = text is null ? new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("configuration")) : XDocument.Parse(text);
        }
        catch (System.Xml.XmlException e)
        {
            throw new BadInputException($"{path}: not valid XML ({e.Message}); fix or move it, then run setup again.", e);
        }

        var root = document.Root ?? throw new BadInputException($"{path}: no <configuration> element; fix or move it.");
        var sources = Child(root, "packageSources");
        var url = target.Value!;
        var listed = sources.Elements("add").FirstOrDefault(e => string.Equals((string?)e.Attribute("value"), url, StringComparison.OrdinalIgnoreCase));
        var name = target.Name ?? (string?)listed?.Attribute("key") ?? $"pipeline-pki-{new Uri(url).Host}";
        if (listed is null)
        {
            if (sources.Elements("add").Any(e => (string?)e.Attribute("key") == name))
            {
                throw new BadInputException($"{path}: a package source named '{name}' already points elsewhere; give another name (nuget={url},NAME).");
            }

            sources.Add(new XElement("add", new XAttribute("key", name), new XAttribute("value", url)));
        }

        var certificates = Child(root, "clientCertificates");
        certificates.Elements().Where(e => (string?)e.Attribute("packageSource") == name).Remove();
        certificates.Add(new XElement(
            "fileCert",
            new XAttribute("packageSource", name),
            new XAttribute("path", context.ClientPkcs12File()),
            new XAttribute("clearTextPassword", MtlsSetupContext.KeystorePassword)));

        var builder = new StringBuilder();
        using (var writer = System.Xml.XmlWriter.Create(builder, new System.Xml.XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) }))
        {
            document.Save(writer);
        }

        context.Write(path, builder.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"") + "\n", secret: false);
        return Task.FromResult<IReadOnlyList<string>>(
        [
            $"NuGet source '{name}' presents {context.ClientPkcs12File()} (PKCS#12, password '{MtlsSetupContext.KeystorePassword}' as NuGet requires one; the file is 0600). Trust of the server's CA comes from the system store: add the CA there (or use --for env) when it is private.",
        ]);
    }

    private static XElement Child(XElement root, string name)
    {
        if (root.Element(name) is { } existing)
        {
            return existing;
        }

        var created = new XElement(name);
        root.Add(created);
        return created;
    }
}

/// <summary><c>maven</c>: a PKCS#12 key store and trust store, and MAVEN_OPTS carrying the javax.net.ssl settings (JSSE, which Maven's HTTP transport uses).</summary>
internal sealed class MavenConfigurator : IMtlsConfigurator
{
    public string Kind => "maven";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var password = MtlsSetupContext.KeystorePassword;
        var options =
            $"-Djavax.net.ssl.keyStore={context.ClientPkcs12File()} -Djavax.net.ssl.keyStoreType=PKCS12 -Djavax.net.ssl.keyStorePassword={password} " +
            $"-Djavax.net.ssl.trustStore={context.TrustStorePkcs12File()} -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword={password}";
        var existing = context.Variable("MAVEN_OPTS");
        context.Export("MAVEN_OPTS", existing is null ? options : $"{options} {existing}");
        return Task.FromResult<IReadOnlyList<string>>(
        [
            $"the key store password is the conventional '{password}' (Java refuses password-less PKCS#12 and MAVEN_OPTS must carry it); the 0600 file mode protects the key. The trust store holds the job's trust bundle plus the CA.",
        ]);
    }
}

/// <summary>
/// <c>kube=SERVER[,NAME]</c>: a kubeconfig in the state directory (cluster with the CA, user with
/// the client certificate and key as data, a current context) and KUBECONFIG naming it first, then
/// the job's existing kubeconfig, which is never rewritten.
/// </summary>
internal sealed class KubeConfigurator : IMtlsConfigurator
{
    public string Kind => "kube";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var name = target.Name ?? "pipeline-pki";
        var path = Path.Combine(context.StateDirectory, $"kubeconfig-{name}.yaml");
        static string Base64(string pem) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));
        var yaml =
            "apiVersion: v1\n" +
            "kind: Config\n" +
            $"current-context: {ConfigText.YamlString(name)}\n" +
            "clusters:\n" +
            $"- name: {ConfigText.YamlString(name)}\n" +
            "  cluster:\n" +
            $"    server: {ConfigText.YamlString(target.Value!)}\n" +
            $"    certificate-authority-data: {Base64(context.Identity.CaPem)}\n" +
            "users:\n" +
            $"- name: {ConfigText.YamlString(name + "-pipeline-pki")}\n" +
            "  user:\n" +
            $"    client-certificate-data: {Base64(context.Identity.ChainPem)}\n" +
            $"    client-key-data: {Base64(context.Identity.KeyPem())}\n" +
            "contexts:\n" +
            $"- name: {ConfigText.YamlString(name)}\n" +
            "  context:\n" +
            $"    cluster: {ConfigText.YamlString(name)}\n" +
            $"    user: {ConfigText.YamlString(name + "-pipeline-pki")}\n";
        context.Write(path, yaml, secret: true);
        context.Kubeconfigs.Add(path);

        var existing = context.Variable("KUBECONFIG") ?? (File.Exists(context.UnderHome(".kube", "config")) ? context.UnderHome(".kube", "config") : null);
        context.Export("KUBECONFIG", string.Join(':', existing is null ? context.Kubeconfigs : [.. context.Kubeconfigs, existing]));
        var notes = new List<string> { $"kubectl uses context '{name}' through KUBECONFIG; the existing kubeconfig is not rewritten{(existing is null ? string.Empty : $" and stays reachable ({existing})")}." };
        return Task.FromResult<IReadOnlyList<string>>(notes);
    }
}

/// <summary><c>helm=REPO_URL[,NAME]</c>: the certificate, key and CA files helm takes, and a repositories.yaml entry naming them.</summary>
internal sealed class HelmConfigurator : IMtlsConfigurator
{
    public string Kind => "helm";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var name = target.Name ?? "pipeline-pki";
        var path = context.Variable("HELM_REPOSITORY_CONFIG")
            ?? Path.Combine(context.Variable("XDG_CONFIG_HOME") ?? context.UnderHome(".config"), "helm", "repositories.yaml");
        var entry =
            $"- name: {ConfigText.YamlString(name)}\n" +
            $"  url: {ConfigText.YamlString(target.Value!)}\n" +
            $"  certFile: {ConfigText.YamlString(context.ClientCertificateFile())}\n" +
            $"  keyFile: {ConfigText.YamlString(context.ClientKeyFile())}\n" +
            $"  caFile: {ConfigText.YamlString(context.CaFile())}\n" +
            "  insecure_skip_tls_verify: false\n" +
            "  pass_credentials_all: false\n";
        context.Write(path, WithEntry(path, context.ReadText(path), name, entry), secret: false);
        return Task.FromResult<IReadOnlyList<string>>(
        [
            $"helm repo '{name}' uses --cert-file {context.ClientCertificateFile()} --key-file {context.ClientKeyFile()} --ca-file {context.CaFile()}; pass the same to `helm pull`/`helm install --repo` when not going through the repo name.",
        ]);
    }

    /// <summary>
    /// Adds the entry to a repositories.yaml as helm writes it (top-level keys sorted, so
    /// <c>repositories:</c> is last and its items start at column 0). Any other layout is refused
    /// rather than guessed at.
    /// </summary>
    private static string WithEntry(string path, string? existing, string name, string entry)
    {
        const string Header = "apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\n";
        if (string.IsNullOrWhiteSpace(existing))
        {
            return $"{Header}repositories:\n{entry}";
        }

        var lines = existing.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        var index = Array.FindIndex(lines, l => l.StartsWith("repositories:", StringComparison.Ordinal));
        if (index >= 0 && lines[index].Trim() is "repositories: []" or "repositories: null" or "repositories:" && lines.Skip(index + 1).All(l => l.Length == 0 || l.StartsWith('-') || l.StartsWith(' ')))
        {
            if (lines.Any(l => l.TrimStart('-', ' ').StartsWith($"name: {name}", StringComparison.Ordinal) || l.Contains($"name: \"{name}\"", StringComparison.Ordinal)))
            {
                throw new BadInputException($"{path}: already has a repository named '{name}'; give another name (helm=URL,NAME).");
            }

            var before = string.Join('\n', lines.Take(index));
            var items = string.Join('\n', lines.Skip(index + 1));
            return (before.Length > 0 ? before + "\n" : string.Empty) + "repositories:\n" + (items.Length > 0 ? items + "\n" : string.Empty) + entry;
        }

        throw new BadInputException($"{path}: not laid out as helm writes it (a final top-level 'repositories:' list); add the repository with `helm repo add` and the files setup reports, or move the file away.");
    }
}

/// <summary>
/// <c>env</c>: variables for any tool. SSL_CERT_FILE, CURL_CA_BUNDLE, REQUESTS_CA_BUNDLE and
/// GIT_SSL_CAINFO name the job's trust bundle plus the CA; NODE_EXTRA_CA_CERTS the CA alone (it
/// adds); PIPELINE_PKI_CLIENT_CERT/KEY/CA the identity (KEY is the pkcs11: URI for token keys).
/// </summary>
internal sealed class EnvConfigurator : IMtlsConfigurator
{
    public string Kind => "env";

    public bool NeedsKeyFile => false;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var trust = context.TrustBundleFile();
        foreach (var variable in new[] { "SSL_CERT_FILE", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "GIT_SSL_CAINFO" })
        {
            context.Export(variable, trust);
        }

        context.Export("NODE_EXTRA_CA_CERTS", context.CaFile());
        context.Export("PIPELINE_PKI_CLIENT_CERT", context.ClientCertificateFile());
        context.Export("PIPELINE_PKI_CLIENT_KEY", context.Identity.HasKeyFile ? context.ClientKeyFile() : context.Identity.Pkcs11Uri!);
        context.Export("PIPELINE_PKI_CLIENT_CA", context.CaFile());
        var notes = new List<string> { "tools that take a client certificate by option read it from PIPELINE_PKI_CLIENT_CERT and PIPELINE_PKI_CLIENT_KEY (e.g. curl --cert \"$PIPELINE_PKI_CLIENT_CERT\" --key \"$PIPELINE_PKI_CLIENT_KEY\")." };
        if (context.Variable("SSL_CERT_DIR") is { } directory)
        {
            notes.Add($"SSL_CERT_DIR is set ({directory}) and left alone: OpenSSL consults it after SSL_CERT_FILE, which now includes the CA.");
        }

        return Task.FromResult<IReadOnlyList<string>>(notes);
    }
}
