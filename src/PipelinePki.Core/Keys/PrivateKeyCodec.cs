using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using Org.BouncyCastle.Crypto.Parameters;
using PipelinePki.Core.Encoding;

namespace PipelinePki.Core.Keys;

/// <summary>
/// PKCS#8 in and out: plain (<c>PRIVATE KEY</c>) for leaf keys that tools such as curl must read,
/// encrypted (<c>ENCRYPTED PRIVATE KEY</c>, PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256) for CA keys at rest.
/// OpenSSL reads both (<c>openssl pkey -passin env:VAR</c>).
/// </summary>
public static class PrivateKeyCodec
{
    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidRsaEncryption = "1.2.840.113549.1.1.1";
    private const string OidEd25519 = "1.3.101.112";

    // OWASP's 2023 figure for PBKDF2-HMAC-SHA256 is 600,000; a CA key is decrypted once per process,
    // so the ~0.2 s this costs is paid once per issuance and buys real resistance to offline guessing.
    internal const int Pbkdf2Iterations = 600_000;

    public static string ToPem(IExportableKey key)
    {
        var pkcs8 = key.ExportPkcs8();
        try
        {
            return Pem.Encode("PRIVATE KEY", pkcs8);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    public static string ToEncryptedPem(IExportableKey key, ReadOnlySpan<char> passphrase, int iterations = Pbkdf2Iterations)
    {
        var pkcs8 = key.ExportPkcs8();
        try
        {
            var info = Pkcs8PrivateKeyInfo.Decode(pkcs8, out _, skipCopy: true);
            var encrypted = info.Encrypt(passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, iterations));
            return Pem.Encode("ENCRYPTED PRIVATE KEY", encrypted);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Reads a private key file (PEM or DER; PKCS#8 plain or encrypted, or SEC1/PKCS#1 PEM).</summary>
    /// <param name="source">The file name, for error messages.</param>
    public static IExportableKey Read(ReadOnlySpan<byte> content, string source, Func<ReadOnlyMemory<char>?> passphrase)
    {
        PemBlock block;
        if (Pem.LooksLikePem(content))
        {
            var keys = Pem.ReadAll(content).Where(b => b.Label.EndsWith("PRIVATE KEY", StringComparison.Ordinal)).ToList();
            if (keys.Count != 1)
            {
                throw new BadInputException($"{source}: expected exactly one private key, found {keys.Count}.");
            }

            block = keys[0];
        }
        else
        {
            block = new PemBlock(LooksEncrypted(content) ? "ENCRYPTED PRIVATE KEY" : "PRIVATE KEY", content.ToArray());
        }

        try
        {
            return block.Label switch
            {
                "PRIVATE KEY" => FromPkcs8(block.Der, source),
                "ENCRYPTED PRIVATE KEY" => Decrypt(block.Der, source, passphrase),
                "EC PRIVATE KEY" => FromEcdsa(ImportSec1(block.Der), source),
                "RSA PRIVATE KEY" => FromRsa(ImportPkcs1(block.Der), source),
                _ => throw new BadInputException($"{source}: unsupported private key type '{block.Label}'."),
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block.Der);
        }
    }

    private static IExportableKey Decrypt(byte[] der, string source, Func<ReadOnlyMemory<char>?> passphrase)
    {
        var secret = passphrase() ?? throw new UsageException(
            $"{source}: the key is encrypted and no passphrase was given; set the passphrase environment variable (--passphrase-env).");
        byte[]? plain = null;
        try
        {
            plain = Pbes2.TryDecrypt(der, secret.Span) ?? Pkcs8PrivateKeyInfo.DecryptAndDecode(secret.Span, der, out _).Encode();
            return FromPkcs8(plain, source);
        }
        catch (Exception e) when (e is CryptographicException or BadInputException)
        {
            // A wrong passphrase usually fails the padding check, but 1 time in 256 it decrypts to
            // garbage that then fails to parse: both mean the same thing to the user.
            throw new BadInputException($"{source}: cannot decrypt the key: wrong passphrase or damaged file.", e);
        }
        finally
        {
            if (plain is not null)
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
    }

    private static IExportableKey FromPkcs8(byte[] der, string source)
    {
        Pkcs8PrivateKeyInfo info;
        try
        {
            info = Pkcs8PrivateKeyInfo.Decode(der, out _, skipCopy: true);
        }
        catch (CryptographicException e)
        {
            throw new BadInputException($"{source}: not a PKCS#8 private key.", e);
        }

        try
        {
            switch (info.AlgorithmId.Value)
            {
                case OidEcPublicKey:
                {
                    var ec = ECDsa.Create();
                    ec.ImportPkcs8PrivateKey(der, out _);
                    return FromEcdsa(ec, source);
                }

                case OidRsaEncryption:
                {
                    var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(der, out _);
                    return FromRsa(rsa, source);
                }

                case OidEd25519:
                {
                    var parameters = Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(der);
                    return new Ed25519SoftwareKey((Ed25519PrivateKeyParameters)parameters);
                }

                default:
                    throw new BadInputException($"{source}: unsupported key algorithm {info.AlgorithmId.Value}.");
            }
        }
        catch (CryptographicException e)
        {
            throw new BadInputException($"{source}: the private key is malformed.", e);
        }
    }

    private static ECDsa ImportSec1(byte[] der)
    {
        var ec = ECDsa.Create();
        ec.ImportECPrivateKey(der, out _);
        return ec;
    }

    private static RSA ImportPkcs1(byte[] der)
    {
        var rsa = RSA.Create();
        rsa.ImportRSAPrivateKey(der, out _);
        return rsa;
    }

    private static EcdsaSoftwareKey FromEcdsa(ECDsa ec, string source)
    {
        var spec = ec.KeySize switch
        {
            256 => KeySpec.EcdsaP256,
            384 => KeySpec.EcdsaP384,
            _ => null,
        };
        if (spec is null)
        {
            ec.Dispose();
            throw new BadInputException($"{source}: ECDSA keys must be on P-256 or P-384.");
        }

        return new EcdsaSoftwareKey(ec, spec);
    }

    private static RsaSoftwareKey FromRsa(RSA rsa, string source)
    {
        var spec = rsa.KeySize switch
        {
            3072 => KeySpec.Rsa3072,
            4096 => KeySpec.Rsa4096,
            _ => null,
        };
        if (spec is null)
        {
            var size = rsa.KeySize;
            rsa.Dispose();
            throw new BadInputException($"{source}: RSA keys must be 3072 or 4096 bits (this one has {size}).");
        }

        return new RsaSoftwareKey(rsa, spec);
    }

    // EncryptedPrivateKeyInfo starts SEQUENCE { SEQUENCE { OID pkcs5PBES2 ... } }; PrivateKeyInfo starts with INTEGER version.
    private static bool LooksEncrypted(ReadOnlySpan<byte> der)
    {
        try
        {
            var reader = new System.Formats.Asn1.AsnReader(der.ToArray(), System.Formats.Asn1.AsnEncodingRules.BER);
            var outer = reader.ReadSequence();
            return outer.PeekTag().TagValue == (int)System.Formats.Asn1.UniversalTagNumber.Sequence;
        }
        catch (System.Formats.Asn1.AsnContentException)
        {
            return false;
        }
    }
}
