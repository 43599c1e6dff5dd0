namespace PipelinePki.Cli.Commands;

/// <summary>How one action input becomes part of the command line.</summary>
public enum InputShape
{
    /// <summary>One value: <c>--option VALUE</c>.</summary>
    Value,

    /// <summary>One value per line: <c>--option A --option B</c>.</summary>
    Lines,

    /// <summary><c>true</c> adds <c>--option</c>; <c>false</c> or empty adds nothing.</summary>
    Flag,

    /// <summary>One argument per line, after the options.</summary>
    Arguments,
}

/// <summary>One wrapper input: its name in action.yml and the GitLab spec (INPUT_NAME in the step's environment) and where it goes.</summary>
public sealed record ActionInput(string Name, string Option, InputShape Shape, bool Required = false);

/// <summary>One wrapper verb and the ordinary <c>pipeline-pki</c> command it runs.</summary>
public sealed record ActionVerb(string Name, IReadOnlyList<string> Command, IReadOnlyList<ActionInput> Inputs);

/// <summary>
/// The whole contract between the GitHub action.yml files, the GitLab component specs and the CLI:
/// each verb is one ordinary command, each input one option. The wrapper tests compare every
/// action.yml and component against this table, so an input cannot be declared without being mapped
/// (or mapped without being declared). (Azure's shims carry the same table in JavaScript.)
/// </summary>
public static class WrapperInputs
{
    /// <summary>Inputs every verb accepts.</summary>
    public static readonly IReadOnlyList<ActionInput> Common =
    [
        new("verbose", "--verbose", InputShape.Flag),
    ];

    public static readonly IReadOnlyList<ActionVerb> Verbs =
    [
        new("issue", ["cert", "issue"],
        [
            new("source", "--source", InputShape.Value),
            new("home", "--home", InputShape.Value),
            new("name", "--name", InputShape.Value),
            new("san", "--san", InputShape.Lines),
            new("profile", "--profile", InputShape.Value),
            new("ttl", "--ttl", InputShape.Value),
            new("key-type", "--key-type", InputShape.Value),
            new("csr", "--csr", InputShape.Value),
            new("out", "--out", InputShape.Value, Required: true),
            new("passphrase-env", "--passphrase-env", InputShape.Value),
            new("ci-identity", "--ci-identity", InputShape.Flag),
            new("vault-addr", "--vault-addr", InputShape.Value),
            new("vault-mount", "--mount", InputShape.Value),
            new("vault-role", "--role", InputShape.Value),
            new("vault-namespace", "--namespace", InputShape.Value),
            new("vault-ca", "--vault-ca", InputShape.Value),
            new("vault-token-env", "--token-env", InputShape.Value),
            new("vault-jwt-role", "--jwt-role", InputShape.Value),
            new("oidc-audience", "--audience", InputShape.Value),
            new("jwt-env", "--jwt-env", InputShape.Value),
            new("acme-directory", "--acme-directory", InputShape.Value),
            new("acme-email", "--acme-email", InputShape.Value),
        ]),
        new("sign", ["sign"],
        [
            new("files", "files", InputShape.Arguments),
            new("key", "--key", InputShape.Value, Required: true),
            new("cert", "--cert", InputShape.Value, Required: true),
            new("chain", "--chain", InputShape.Lines),
            new("passphrase-env", "--passphrase-env", InputShape.Value),
            new("signature-format", "--signature-format", InputShape.Value),
            new("timestamp", "--timestamp", InputShape.Value),
            new("home", "--home", InputShape.Value),
            new("ca-passphrase-env", "--ca-passphrase-env", InputShape.Value),
            new("out-dir", "--out-dir", InputShape.Value),
            new("manifest", "--manifest", InputShape.Value),
            new("digest", "--digest", InputShape.Lines),
            new("subject", "--subject", InputShape.Value),
        ]),
        new("verify", ["verify"],
        [
            new("files", "files", InputShape.Arguments, Required: true),
            new("signature", "--signature", InputShape.Value),
            new("trust", "--trust", InputShape.Lines, Required: true),
            new("untrusted", "--untrusted", InputShape.Lines),
            new("crl", "--crl", InputShape.Lines),
            new("revocation", "--revocation", InputShape.Value),
            new("soft-fail", "--soft-fail", InputShape.Flag),
            new("at", "--at", InputShape.Value),
            new("identity", "--identity", InputShape.Value),
            new("manifest", "--manifest", InputShape.Flag),
            new("digest", "--digest", InputShape.Value),
            new("subject", "--subject", InputShape.Value),
        ]),
        new("check", ["cert", "check"],
        [
            new("targets", "targets", InputShape.Arguments, Required: true),
            new("min-remaining", "--min-remaining", InputShape.Value),
            new("warn-remaining", "--warn-remaining", InputShape.Value),
            new("trust", "--trust", InputShape.Lines),
            new("untrusted", "--untrusted", InputShape.Lines),
            new("crl", "--crl", InputShape.Lines),
            new("revocation", "--revocation", InputShape.Value),
            new("soft-fail", "--soft-fail", InputShape.Flag),
            new("timeout", "--timeout", InputShape.Value),
        ]),
        new("mtls-setup", ["mtls", "setup"],
        [
            new("cert", "--cert", InputShape.Value, Required: true),
            new("key", "--key", InputShape.Value, Required: true),
            new("ca", "--ca", InputShape.Value),
            new("for", "--for", InputShape.Lines, Required: true),
            new("state", "--state", InputShape.Value),
            new("allow-expired", "--allow-expired", InputShape.Flag),
        ]),
    ];

    /// <summary>The state mtls setup saves on GitHub; the post-entrypoint's teardown reads it back.</summary>
    public const string MtlsStateName = "mtls_state";

    public static ActionVerb? Find(string name) => Verbs.FirstOrDefault(v => v.Name == name);

    /// <summary>Every input of every verb, as the root action (input <c>command</c> + the union) declares them.</summary>
    public static IEnumerable<string> UnionOfInputNames() =>
        Verbs.SelectMany(v => v.Inputs).Concat(Common).Select(i => i.Name).Distinct(StringComparer.Ordinal);

    /// <summary>The variable GitHub's runner sets for an input: upper case, spaces to underscores, hyphens kept.</summary>
    public static string GitHubVariableName(string input) => "INPUT_" + input.Replace(' ', '_').ToUpperInvariant();

    /// <summary>The variable a GitLab component sets for an input (job variables and shells want [A-Z0-9_]).</summary>
    public static string GitLabVariableName(string input) => "INPUT_" + input.Replace('-', '_').ToUpperInvariant();
}
