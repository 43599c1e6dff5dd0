using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using PipelinePki.Core;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.IO;
using PipelinePki.Sources.Vault;

namespace PipelinePki.Cli.Commands;

/// <summary><c>ca fetch --source vault --chain|--crl --out FILE</c>: what relying parties need from a Vault PKI mount.</summary>
internal static class VaultFetchCommand
{
    public static Command Create(CliApp app)
    {
        var source = new Option<string>("--source") { Description = "Where the CA lives: vault.", DefaultValueFactory = _ => "vault" };
        source.AcceptOnlyFromAmong("vault");
        var chain = new Option<bool>("--chain") { Description = "Fetch the mount's CA chain (pki/ca_chain), PEM." };
        var crl = new Option<bool>("--crl") { Description = "Fetch the mount's CRL (pki/crl), written as PEM unless --der." };
        var der = new Option<bool>("--der") { Description = "With --crl: write DER instead of PEM." };
        var output = new Option<string>("--out", "-o") { Description = "File to write (atomically).", Required = true };
        var format = CommandKit.FormatOption("text", "json");
        var vault = new VaultCommandOptions();
        var command = new Command("fetch", "Fetch the CA chain or CRL of a remote CA (Vault PKI).") { source, chain, crl, der, output, format };
        vault.AddTo(command, issuing: false);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var wantChain = parse.GetValue(chain);
            var wantCrl = parse.GetValue(crl);
            if (wantChain == wantCrl)
            {
                throw new UsageException("ca fetch: give exactly one of --chain or --crl.");
            }

            var path = parse.GetValue(output)!;
            await using var host = vault.Open(app, parse, inventoryPath: null);
            var content = await host.Source.FetchAsync(wantChain ? VaultPublication.CaChain : VaultPublication.Crl, cancellationToken);
            if (wantCrl && !parse.GetValue(der))
            {
                content = System.Text.Encoding.ASCII.GetBytes(Pem.Encode("X509 CRL", content));
            }

            AtomicFile.Write(path, content, secret: false);
            var result = new FetchOutput(wantChain ? "chain" : "crl", Path.GetFullPath(path), content.Length);
            CommandKit.Render(app, parse.GetValue(format), result, () => VaultCliJson.Default.FetchOutput,
                (writer, fetched) => writer.WriteLine($"wrote the Vault {fetched.Kind} to {fetched.Path} ({fetched.Bytes} bytes)."));
            return ExitCodes.Success;
        });
        return command;
    }
}

internal sealed record FetchOutput(string Kind, string Path, int Bytes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FetchOutput))]
internal sealed partial class VaultCliJson : JsonSerializerContext;
