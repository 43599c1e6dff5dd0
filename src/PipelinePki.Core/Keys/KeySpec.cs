namespace PipelinePki.Core.Keys;

public enum KeyAlgorithmFamily
{
    Ecdsa,
    Rsa,
    Ed25519,
}

/// <summary>
/// A key type the product can generate and use. The names are the CLI's (<c>ecdsa-p384</c> …); the
/// default, ECDSA P-384, is the brief's security default.
/// </summary>
public sealed record KeySpec
{
    public static readonly KeySpec EcdsaP256 = new("ecdsa-p256", KeyAlgorithmFamily.Ecdsa, 256);
    public static readonly KeySpec EcdsaP384 = new("ecdsa-p384", KeyAlgorithmFamily.Ecdsa, 384);
    public static readonly KeySpec Rsa3072 = new("rsa-3072", KeyAlgorithmFamily.Rsa, 3072);
    public static readonly KeySpec Rsa4096 = new("rsa-4096", KeyAlgorithmFamily.Rsa, 4096);
    public static readonly KeySpec Ed25519 = new("ed25519", KeyAlgorithmFamily.Ed25519, 256);

    public static KeySpec Default => EcdsaP384;

    public static IReadOnlyList<KeySpec> All { get; } = [EcdsaP256, EcdsaP384, Rsa3072, Rsa4096, Ed25519];

    private KeySpec(string name, KeyAlgorithmFamily family, int bits)
    {
        Name = name;
        Family = family;
        Bits = bits;
    }

    public string Name { get; }

    public KeyAlgorithmFamily Family { get; }

    public int Bits { get; }

    public static KeySpec Parse(string text)
    {
        foreach (var spec in All)
        {
            if (string.Equals(spec.Name, text, StringComparison.OrdinalIgnoreCase))
            {
                return spec;
            }
        }

        throw new UsageException($"--key-type: unknown key type '{text}'; use one of {string.Join(", ", All.Select(s => s.Name))}.");
    }

    public override string ToString() => Name;
}
