namespace PipelinePki.Core.Signing;

/// <summary>The two signature files <c>sign</c> writes next to an artifact, and how to tell them apart by content.</summary>
public static class SignatureFiles
{
    public const string CmsSuffix = ".p7s";
    public const string BundleSuffix = ".sigstore.json";

    /// <summary>A Sigstore bundle is JSON (an object); CMS is DER (a SEQUENCE, 0x30) or PEM.</summary>
    public static bool IsSigstoreBundle(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            content = content[3..];
        }

        foreach (var b in content)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            return b == (byte)'{';
        }

        return false;
    }
}
