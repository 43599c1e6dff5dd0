using PipelinePki.Core.Encoding;
using PipelinePki.Core.IO;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Authorities;

/// <summary>Where <c>cert issue</c> put its files.</summary>
public sealed record IssuedFiles(string Certificate, string Chain, string FullChain, string? Root, string? PrivateKey);

/// <summary>
/// Writes the one output layout every source shares: <c>cert.pem</c>, <c>chain.pem</c>,
/// <c>fullchain.pem</c>, <c>root.pem</c> (when the source knows the anchor) and (unless a CSR was
/// used) <c>key.pem</c> at 0600.
/// </summary>
public static class IssuedCertificateWriter
{
    public static IssuedFiles Write(string outputDirectory, IssuedCertificate issued)
    {
        AtomicFile.CreatePrivateDirectory(outputDirectory);
        var leaf = Pem.Encode("CERTIFICATE", issued.Certificate.RawData);
        var chain = string.Concat(issued.Chain.Select(c => Pem.Encode("CERTIFICATE", c.RawData)));
        var files = new IssuedFiles(
            Path.GetFullPath(Path.Combine(outputDirectory, "cert.pem")),
            Path.GetFullPath(Path.Combine(outputDirectory, "chain.pem")),
            Path.GetFullPath(Path.Combine(outputDirectory, "fullchain.pem")),
            issued.Root is null ? null : Path.GetFullPath(Path.Combine(outputDirectory, "root.pem")),
            issued.PrivateKey is null ? null : Path.GetFullPath(Path.Combine(outputDirectory, "key.pem")));

        // The key goes first: if anything after it fails, the old certificate files still pair with
        // nothing new, and a rerun replaces all of them.
        if (issued.PrivateKey is not null)
        {
            AtomicFile.WriteText(files.PrivateKey!, PrivateKeyCodec.ToPem(issued.PrivateKey), secret: true);
        }

        AtomicFile.WriteText(files.Certificate, leaf, secret: false);
        AtomicFile.WriteText(files.Chain, chain, secret: false);
        AtomicFile.WriteText(files.FullChain, leaf + chain, secret: false);
        if (issued.Root is not null)
        {
            AtomicFile.WriteText(files.Root!, Pem.Encode("CERTIFICATE", issued.Root.RawData), secret: false);
        }

        return files;
    }
}
