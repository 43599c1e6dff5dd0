using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Encoding;

namespace PipelinePki.TestKit.Pki;

public enum TestKeyAlgorithm
{
    EcP256,
    Rsa2048,
    Ed25519,
}

/// <summary>A key pair made for one test run; never stored anywhere but the test's temp folder.</summary>
public sealed class TestKey
{
    private static readonly SecureRandom Random = new();

    private TestKey(TestKeyAlgorithm algorithm, AsymmetricCipherKeyPair pair)
    {
        Algorithm = algorithm;
        Pair = pair;
        SubjectPublicKeyInfo = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public);
        // RFC 5280 §4.2.1.2 method (1): SHA-1 over the subjectPublicKey BIT STRING contents.
        KeyIdentifier = SHA1.HashData(SubjectPublicKeyInfo.PublicKey.GetBytes());
    }

    public TestKeyAlgorithm Algorithm { get; }

    public AsymmetricCipherKeyPair Pair { get; }

    public AsymmetricKeyParameter Public => Pair.Public;

    public AsymmetricKeyParameter Private => Pair.Private;

    public SubjectPublicKeyInfo SubjectPublicKeyInfo { get; }

    /// <summary>The key identifier a conforming CA would put in SKI / AKI for this key.</summary>
    public byte[] KeyIdentifier { get; }

    public string SignatureAlgorithm => Algorithm switch
    {
        TestKeyAlgorithm.EcP256 => "SHA256WITHECDSA",
        TestKeyAlgorithm.Rsa2048 => "SHA256WITHRSA",
        TestKeyAlgorithm.Ed25519 => "Ed25519",
        _ => throw new ArgumentOutOfRangeException(nameof(Algorithm)),
    };

    public static TestKey Generate(TestKeyAlgorithm algorithm = TestKeyAlgorithm.EcP256)
    {
        IAsymmetricCipherKeyPairGenerator generator;
        switch (algorithm)
        {
            case TestKeyAlgorithm.EcP256:
                generator = new ECKeyPairGenerator("EC");
                generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, Random));
                break;
            case TestKeyAlgorithm.Rsa2048:
                generator = new RsaKeyPairGenerator();
                generator.Init(new RsaKeyGenerationParameters(Org.BouncyCastle.Math.BigInteger.ValueOf(65537), Random, 2048, 100));
                break;
            case TestKeyAlgorithm.Ed25519:
                generator = new Ed25519KeyPairGenerator();
                generator.Init(new Ed25519KeyGenerationParameters(Random));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm));
        }

        return new TestKey(algorithm, generator.GenerateKeyPair());
    }

    public ISignatureFactory SignatureFactory() => new Asn1SignatureFactory(SignatureAlgorithm, Private, Random);

    /// <summary>Unencrypted PKCS#8 PEM, as <c>openssl pkey</c> reads it.</summary>
    public string ToPem()
    {
        var info = PrivateKeyInfoFactory.CreatePrivateKeyInfo(Private);
        // BouncyCastle writes Ed25519 keys as version 2 (OneAsymmetricKey, RFC 5958) with the public key attached,
        // which OpenSSL 3.0 refuses to load; the version 1 form without it is what OpenSSL itself writes.
        var v1 = new PrivateKeyInfo(info.PrivateKeyAlgorithm, info.ParsePrivateKey());
        return Pem.Encode("PRIVATE KEY", v1.GetEncoded());
    }

    public string WritePem(TempDirectory directory, string fileName)
    {
        var path = directory.Combine(fileName);
        File.WriteAllText(path, ToPem());
        return path;
    }
}
