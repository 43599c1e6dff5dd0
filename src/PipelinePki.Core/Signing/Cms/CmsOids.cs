using System.Security.Cryptography;

namespace PipelinePki.Core.Signing.Cms;

/// <summary>Object identifiers of RFC 5652 (CMS), RFC 5035 (ESS), RFC 3161 and RFC 5754/8419 (algorithms).</summary>
internal static class CmsOids
{
    public const string Data = "1.2.840.113549.1.7.1";
    public const string SignedData = "1.2.840.113549.1.7.2";
    public const string ContentType = "1.2.840.113549.1.9.3";
    public const string MessageDigest = "1.2.840.113549.1.9.4";
    public const string SigningTime = "1.2.840.113549.1.9.5";
    public const string SigningCertificateV2 = "1.2.840.113549.1.9.16.2.47";
    public const string TimeStampToken = "1.2.840.113549.1.9.16.2.14";
    public const string TstInfo = "1.2.840.113549.1.9.16.1.4";

    public const string Sha1 = "1.3.14.3.2.26";
    public const string Sha256 = "2.16.840.1.101.3.4.2.1";
    public const string Sha384 = "2.16.840.1.101.3.4.2.2";
    public const string Sha512 = "2.16.840.1.101.3.4.2.3";

    public const string RsaEncryption = "1.2.840.113549.1.1.1";
    public const string Sha256WithRsa = "1.2.840.113549.1.1.11";
    public const string Sha384WithRsa = "1.2.840.113549.1.1.12";
    public const string Sha512WithRsa = "1.2.840.113549.1.1.13";
    public const string EcPublicKey = "1.2.840.10045.2.1";
    public const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    public const string EcdsaWithSha384 = "1.2.840.10045.4.3.3";
    public const string EcdsaWithSha512 = "1.2.840.10045.4.3.4";
    public const string Ed25519 = "1.3.101.112";

    public static string DigestOid(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA256" => Sha256,
        "SHA384" => Sha384,
        "SHA512" => Sha512,
        _ => throw new ArgumentOutOfRangeException(nameof(hash), hash.Name, "CMS signing uses SHA-256, SHA-384 or SHA-512."),
    };

    public static HashAlgorithmName? DigestFromOid(string oid) => oid switch
    {
        Sha256 => HashAlgorithmName.SHA256,
        Sha384 => HashAlgorithmName.SHA384,
        Sha512 => HashAlgorithmName.SHA512,
        Sha1 => HashAlgorithmName.SHA1,
        _ => null,
    };

    public static int DigestLength(HashAlgorithmName hash) => hash.Name switch
    {
        "SHA1" => 20,
        "SHA256" => 32,
        "SHA384" => 48,
        "SHA512" => 64,
        _ => 0,
    };
}
