namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// <c>docker=HOST[:PORT]</c>: <c>certs.d/HOST:PORT/{client.cert,client.key,ca.crt}</c> in the docker
/// client's config (DOCKER_CONFIG, else ~/.docker), in the containers config podman, skopeo and
/// buildah read (~/.config/containers/certs.d), and in the daemon's system-wide directory when
/// this user may write there (dockerd reads nothing else).
/// </summary>
internal sealed class DockerConfigurator : IMtlsConfigurator
{
    public string Kind => "docker";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var hostPort = target.Value!;
        var notes = new List<string>();
        var dockerConfig = context.Variable("DOCKER_CONFIG") ?? context.UnderHome(".docker");
        WriteCertsDirectory(context, Path.Combine(dockerConfig, "certs.d", hostPort));
        WriteCertsDirectory(context, context.UnderHome(".config", "containers", "certs.d", hostPort));
        if (context.DockerDaemonCertsDirectory is { } daemon)
        {
            var directory = Path.Combine(daemon, hostPort);
            if (CanWriteUnder(directory))
            {
                WriteCertsDirectory(context, directory);
                notes.Add($"wrote the docker daemon's {directory}: dockerd reads only its system-wide certs.d, so `docker pull/push` present the certificate too.");
            }
            else
            {
                notes.Add($"did not write {directory} (not writable by this user): the docker daemon reads only that location, so `docker pull/push` will not present the certificate; podman, skopeo and buildah use the user-level copy. Run setup with permission to write there when the job uses dockerd.");
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(notes);
    }

    private static void WriteCertsDirectory(MtlsSetupContext context, string directory)
    {
        context.Write(Path.Combine(directory, "client.cert"), context.Identity.ChainPem, secret: false);
        context.Write(Path.Combine(directory, "client.key"), context.Identity.KeyPem(), secret: true);
        context.Write(Path.Combine(directory, "ca.crt"), context.Identity.CaPem, secret: false);
    }

    /// <summary>Probes the nearest existing ancestor with a create-and-delete: permission bits alone do not tell (root, ACLs, read-only mounts).</summary>
    private static bool CanWriteUnder(string directory)
    {
        var existing = Path.GetFullPath(directory);
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing) || Path.GetDirectoryName(existing) is not { } parent)
            {
                return false;
            }

            existing = parent;
        }

        var probe = Path.Combine(existing, $".pipeline-pki-probe-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary><c>git=URL</c>: <c>http.&lt;URL&gt;.sslCert/sslKey/sslCAInfo</c> in the user's global git config, so only that URL (and below) uses them.</summary>
internal sealed class GitConfigurator : IMtlsConfigurator
{
    public string Kind => "git";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var url = target.Value!;
        var config = context.Variable("GIT_CONFIG_GLOBAL") ?? context.UnderHome(".gitconfig");
        var block =
            $"# {ConfigText.Marker}\n" +
            $"[http {ConfigText.Quoted(url)}]\n" +
            $"\tsslCert = {ConfigText.Quoted(context.ClientCertificateFile())}\n" +
            $"\tsslKey = {ConfigText.Quoted(context.ClientKeyFile())}\n" +
            $"\tsslCAInfo = {ConfigText.Quoted(context.CaFile())}\n";
        context.Write(config, ConfigText.Append(context.ReadText(config), block), secret: false);

        if (context.Variable("GIT_SSL_CAINFO") is { } caInfo)
        {
            context.Export("GIT_SSL_CAINFO", context.TrustBundleFile());
            notes.Add($"GIT_SSL_CAINFO is set ({caInfo}) and beats http.<url>.sslCAInfo: exporting GIT_SSL_CAINFO={context.TrustBundleFile()} (that bundle plus the CA) for later steps.");
        }

        foreach (var variable in new[] { "GIT_SSL_CERT", "GIT_SSL_KEY" })
        {
            if (context.Variable(variable) is not null)
            {
                notes.Add($"{variable} is set and beats the URL-scoped setting: unset it in later steps.");
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(notes);
    }
}

/// <summary><c>curl</c>: cert, key and cacert lines in the user's curlrc (CURL_HOME, else HOME), and CURL_CA_BUNDLE. curl cannot scope a client certificate to one host.</summary>
internal sealed class CurlConfigurator : IMtlsConfigurator
{
    public string Kind => "curl";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var curlrc = Path.Combine(context.Variable("CURL_HOME") ?? context.Home, ".curlrc");
        var block =
            $"# {ConfigText.Marker}\n" +
            $"cert = {ConfigText.Quoted(context.ClientCertificateFile())}\n" +
            $"key = {ConfigText.Quoted(context.ClientKeyFile())}\n" +
            $"cacert = {ConfigText.Quoted(context.TrustBundleFile())}\n";
        context.Write(curlrc, ConfigText.Append(context.ReadText(curlrc), block), secret: false);
        context.Export("CURL_CA_BUNDLE", context.TrustBundleFile());
        return Task.FromResult<IReadOnlyList<string>>(
        [
            "curl cannot scope a client certificate to one host: it is offered to every server that asks for one; the trust bundle is the job's previous one plus the CA, so public servers still verify.",
        ]);
    }
}

/// <summary><c>npm=REGISTRY_URL</c>: <c>//registry/:certfile</c> and <c>:keyfile</c> scoped to the registry, <c>cafile</c> (npm has no per-registry CA) in the user's .npmrc.</summary>
internal sealed class NpmConfigurator : IMtlsConfigurator
{
    public string Kind => "npm";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var npmrc = context.Variable("NPM_CONFIG_USERCONFIG") ?? context.Variable("npm_config_userconfig") ?? context.UnderHome(".npmrc");
        var scope = ConfigText.NerfDart(new Uri(target.Value!));
        var block =
            $"# {ConfigText.Marker}\n" +
            $"{scope}:certfile={context.ClientCertificateFile()}\n" +
            $"{scope}:keyfile={context.ClientKeyFile()}\n" +
            $"cafile={context.TrustBundleFile()}\n";
        context.Write(npmrc, ConfigText.Append(context.ReadText(npmrc), block), secret: false);
        return Task.FromResult<IReadOnlyList<string>>(
        [
            $"the client certificate is scoped to {scope}; npm has no per-registry CA, so cafile is the job's trust bundle plus the CA.",
        ]);
    }
}

/// <summary><c>pip=INDEX_URL</c>: <c>client-cert</c> (key and chain in one file, as pip wants) and <c>cert</c> in [global] of the user's pip config. pip cannot scope either to one index.</summary>
internal sealed class PipConfigurator : IMtlsConfigurator
{
    public string Kind => "pip";

    public bool NeedsKeyFile => true;

    public Task<IReadOnlyList<string>> ConfigureAsync(MtlsTarget target, MtlsSetupContext context, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        var config = context.Variable("PIP_CONFIG_FILE")
            ?? Path.Combine(context.Variable("XDG_CONFIG_HOME") ?? context.UnderHome(".config"), "pip", "pip.conf");
        var values = new List<(string, string)> { ("client-cert", context.ClientCertificateAndKeyFile()), ("cert", context.TrustBundleFile()) };
        context.Write(config, ConfigText.SetIniValues(context.ReadText(config), "global", values), secret: false);
        notes.Add($"pip cannot scope a client certificate to {target.Value}: it is offered to every index and server that asks for one.");

        // requests, under pip, prefers these variables to pip's own cert setting.
        foreach (var variable in new[] { "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE" })
        {
            if (context.Variable(variable) is { } value)
            {
                context.Export(variable, context.TrustBundleFile());
                notes.Add($"{variable} is set ({value}) and beats pip's cert setting: exporting {variable}={context.TrustBundleFile()} (that bundle plus the CA).");
            }
        }

        foreach (var variable in new[] { "PIP_CERT", "PIP_CLIENT_CERT" })
        {
            if (context.Variable(variable) is not null)
            {
                context.Export(variable, variable == "PIP_CERT" ? context.TrustBundleFile() : context.ClientCertificateAndKeyFile());
                notes.Add($"{variable} is set and beats the config file: exporting ours instead.");
            }
        }

        return Task.FromResult<IReadOnlyList<string>>(notes);
    }
}
