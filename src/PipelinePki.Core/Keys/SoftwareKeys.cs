using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.EdEC;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace PipelinePki.Core.Keys;

/// <summary>ECDSA key in process memory, backed by the platform's crypto (OpenSSL on Linux).</summary>
internal sealed class EcdsaSoftwareKey(ECDsa key, KeySpec spec) : IExportableKey, IDigestSigningKey
{
    public KeySpec Spec { get; } = spec;

    public byte[] SubjectPublicKeyInfo => key.ExportSubjectPublicKeyInfo();

    public byte[] SignatureAlgorithmIdentifier => new AlgorithmIdentifier(
        Spec.Bits == 384 ? X9ObjectIdentifiers.ECDsaWithSha384 : X9ObjectIdentifiers.ECDsaWithSha256).GetEncoded();

    private HashAlgorithmName Hash => Spec.Bits == 384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    public byte[] Sign(ReadOnlySpan<byte> data) => key.SignData(data, Hash, DSASignatureFormat.Rfc3279DerSequence);

    public HashAlgorithmName SignatureHash => Hash;

    public byte[] SignDigest(ReadOnlySpan<byte> digest)
    {
        DigestSigning.CheckLength(digest, Hash);
        return key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
    }

    public byte[] ExportPkcs8() => key.ExportPkcs8PrivateKey();

    public void Dispose() => key.Dispose();
}

/// <summary>RSA key in process memory; signs PKCS#1 v1.5 with SHA-256 (SHA-384 for 4096-bit keys).</summary>
internal sealed class RsaSoftwareKey(RSA key, KeySpec spec) : IExportableKey, IDigestSigningKey
{
    public KeySpec Spec { get; } = spec;

    public byte[] SubjectPublicKeyInfo => key.ExportSubjectPublicKeyInfo();

    private bool UsesSha384 => Spec.Bits >= 4096;

    public byte[] SignatureAlgorithmIdentifier => new AlgorithmIdentifier(
        UsesSha384 ? PkcsObjectIdentifiers.Sha384WithRsaEncryption : PkcsObjectIdentifiers.Sha256WithRsaEncryption,
        DerNull.Instance).GetEncoded();

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        key.SignData(data.ToArray(), UsesSha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    public HashAlgorithmName SignatureHash => UsesSha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    public byte[] SignDigest(ReadOnlySpan<byte> digest)
    {
        DigestSigning.CheckLength(digest, SignatureHash);
        return key.SignHash(digest.ToArray(), SignatureHash, RSASignaturePadding.Pkcs1);
    }

    public byte[] ExportPkcs8() => key.ExportPkcs8PrivateKey();

    public void Dispose() => key.Dispose();
}

/// <summary>Ed25519 through BouncyCastle: .NET has no Ed25519 of its own.</summary>
internal sealed class Ed25519SoftwareKey(Ed25519PrivateKeyParameters key) : IExportableKey
{
    public KeySpec Spec => KeySpec.Ed25519;

    public byte[] SubjectPublicKeyInfo =>
        SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(key.GeneratePublicKey()).GetEncoded();

    public byte[] SignatureAlgorithmIdentifier => new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519).GetEncoded();

    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, key);
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }

    public byte[] ExportPkcs8()
    {
        // BouncyCastle writes OneAsymmetricKey (v2, public key embedded), which .NET's PKCS#8 reader
        // refuses; the v1 PrivateKeyInfo is what OpenSSL writes too.
        var info = PrivateKeyInfoFactory.CreatePrivateKeyInfo(key);
        return new PrivateKeyInfo(info.PrivateKeyAlgorithm, info.ParsePrivateKey()).GetEncoded();
    }

    public void Dispose()
    {
        // BouncyCastle keeps the scalar in a managed array it does not let us clear; nothing to release.
    }
}

/// <summary>Makes new software keys.</summary>
public static class KeyGenerator
{
    public static IExportableKey Generate(KeySpec spec) => spec.Family switch
    {
        KeyAlgorithmFamily.Ecdsa => new EcdsaSoftwareKey(
            ECDsa.Create(spec.Bits == 384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256), spec),
        KeyAlgorithmFamily.Rsa => new RsaSoftwareKey(RSA.Create(spec.Bits), spec),
        KeyAlgorithmFamily.Ed25519 => new Ed25519SoftwareKey(new Ed25519PrivateKeyParameters(new SecureRandom())),
        _ => throw new ArgumentOutOfRangeException(nameof(spec)),
    };
}
