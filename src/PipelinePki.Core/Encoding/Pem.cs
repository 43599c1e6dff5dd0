namespace PipelinePki.Core.Encoding;

/// <summary>One object found in a PEM or DER input.</summary>
public sealed record PemBlock(string Label, byte[] Der);

/// <summary>PEM reading and writing. Inputs are recognised by content, never by file extension.</summary>
public static class Pem
{
    public static string Encode(string label, ReadOnlySpan<byte> der) =>
        new string(System.Security.Cryptography.PemEncoding.Write(label, der)) + "\n";

    /// <summary>True when the bytes look like text PEM rather than DER.</summary>
    public static bool LooksLikePem(ReadOnlySpan<byte> content)
    {
        var probe = content.Length > 4096 ? content[..4096] : content;
        return probe.IndexOf("-----BEGIN "u8) >= 0;
    }

    /// <summary>Every PEM block in the text, in order. Text outside blocks (comments, openssl's "subject=" lines) is ignored.</summary>
    public static IReadOnlyList<PemBlock> ReadAll(ReadOnlySpan<byte> content)
    {
        var text = System.Text.Encoding.UTF8.GetString(content);
        var blocks = new List<PemBlock>();
        var remaining = text.AsSpan();
        while (System.Security.Cryptography.PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            var der = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
            blocks.Add(new PemBlock(label, der));
            remaining = remaining[fields.Location.End..];
        }

        return blocks;
    }
}
