using System.Text;
using PipelinePki.Core.Encoding;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// What a configurator works with: the identity, the job's environment, and the shared files in the
/// state directory (client certificate, key, CA, trust bundle, PKCS#12 stores), each written once on
/// first use and always through the journal.
/// </summary>
internal sealed class MtlsSetupContext
{
    /// <summary>The conventional Java keystore password; Java refuses password-less PKCS#12 and MAVEN_OPTS must carry it, so the 0600 mode is the protection.</summary>
    public const string KeystorePassword = "changeit";

    private static readonly string[] SystemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
    private static readonly string[] BundleVariables = ["SSL_CERT_FILE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "REQUESTS_CA_BUNDLE"];

    private readonly Dictionary<string, string> sharedFiles = new(StringComparer.Ordinal);
    private List<MtlsChange> currentChanges = [];
    private string currentTarget = string.Empty;

    public MtlsSetupContext(MtlsIdentity identity, SetupJournal journal, Func<string, string?> environment, string? dockerDaemonCertsDirectory)
    {
        Identity = identity;
        Journal = journal;
        this.Environment = environment;
        DockerDaemonCertsDirectory = dockerDaemonCertsDirectory;
        Home = Variable("HOME") ?? throw new BadInputException("HOME is not set: the tools' user configuration lives under it; set HOME for this job.");
    }

    public MtlsIdentity Identity { get; }

    public SetupJournal Journal { get; }

    public Func<string, string?> Environment { get; }

    public string Home { get; }

    public string StateDirectory => Journal.StateDirectory;

    public string? DockerDaemonCertsDirectory { get; }

    /// <summary>Our kubeconfig files, in the order the kube targets were given (the first one's context is current).</summary>
    public List<string> Kubeconfigs { get; } = [];

    /// <summary>A variable of the job's environment, null when unset or empty.</summary>
    public string? Variable(string name) => Environment(name) is { Length: > 0 } value ? value : null;

    /// <summary>The value this setup exports for <paramref name="name"/>, or the job's own value.</summary>
    public string? EffectiveVariable(string name) =>
        Journal.Environment.FirstOrDefault(v => v.Name == name)?.Value ?? Variable(name);

    public void BeginTarget(string target)
    {
        currentTarget = target;
        currentChanges = [];
    }

    public IReadOnlyList<MtlsChange> EndTarget() => currentChanges;

    public string UnderHome(params string[] parts) => Path.Combine([Home, .. parts]);

    public string? ReadText(string path) => File.Exists(path) ? File.ReadAllText(path) : null;

    public void Write(string path, string content, bool secret) => Write(path, System.Text.Encoding.UTF8.GetBytes(content), secret);

    public void Write(string path, byte[] content, bool secret)
    {
        var fullPath = Path.GetFullPath(path);
        var existed = File.Exists(fullPath);
        Journal.WriteFile(fullPath, content, secret, currentTarget);
        if (!currentChanges.Any(c => c.Path == fullPath))
        {
            currentChanges.Add(new MtlsChange(fullPath, existed ? "modified" : "created"));
        }
    }

    public void Export(string name, string value) => Journal.SetVariable(name, value, Variable(name));

    public string ClientCertificateFile() => Shared("client.pem", () => System.Text.Encoding.UTF8.GetBytes(Identity.ChainPem), secret: false);

    public string ClientKeyFile() => Shared("client.key", () => System.Text.Encoding.UTF8.GetBytes(Identity.KeyPem()), secret: true);

    public string CaFile() => Shared("ca.pem", () => System.Text.Encoding.UTF8.GetBytes(Identity.CaPem), secret: false);

    /// <summary>Key and certificate chain in one PEM file (pip's client-cert takes exactly that).</summary>
    public string ClientCertificateAndKeyFile() => Shared("client-with-key.pem", () => System.Text.Encoding.UTF8.GetBytes(Identity.KeyPem() + Identity.ChainPem), secret: true);

    /// <summary>
    /// For settings that apply to every host (curl's cacert, npm's cafile, pip's cert, the env
    /// variables): the bundles the job trusts today plus the CA, so public servers keep working.
    /// </summary>
    public string TrustBundleFile() => Shared("trust-bundle.pem", () =>
    {
        var builder = new StringBuilder();
        foreach (var bundle in BaseBundles())
        {
            var text = File.ReadAllText(bundle);
            builder.Append(text);
            if (!text.EndsWith('\n'))
            {
                builder.Append('\n');
            }
        }

        builder.Append(Identity.CaPem);
        return System.Text.Encoding.UTF8.GetBytes(builder.ToString());
    }, secret: false);

    /// <summary>The bundles <see cref="TrustBundleFile"/> starts from: what the job's variables name, else the system bundle.</summary>
    public IReadOnlyList<string> BaseBundles()
    {
        var fromVariables = BundleVariables.Select(Variable).OfType<string>().Where(File.Exists).Select(Path.GetFullPath).Distinct().ToList();
        if (fromVariables.Count > 0)
        {
            return fromVariables;
        }

        return SystemBundles.Where(File.Exists).Take(1).ToList();
    }

    public string ClientPkcs12File() => Shared("client.p12", () => Pkcs12Writer.KeyStore(Identity, KeystorePassword), secret: true);

    public string TrustStorePkcs12File() => Shared("truststore.p12", () =>
    {
        var certificates = BaseBundles().SelectMany(b => Pem.ReadAll(File.ReadAllBytes(b)).Where(p => p.Label == "CERTIFICATE").Select(p => p.Der))
            .Concat(Identity.CaCertificates.Select(c => c.GetEncoded()))
            .ToList();
        return Pkcs12Writer.TrustStore(certificates, KeystorePassword);
    }, secret: false);

    private string Shared(string fileName, Func<byte[]> content, bool secret)
    {
        if (sharedFiles.TryGetValue(fileName, out var existing))
        {
            return existing;
        }

        var path = Path.Combine(StateDirectory, fileName);
        var bytes = content();
        try
        {
            Write(path, bytes, secret);
        }
        finally
        {
            if (secret)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
            }
        }

        sharedFiles[fileName] = path;
        return path;
    }
}
