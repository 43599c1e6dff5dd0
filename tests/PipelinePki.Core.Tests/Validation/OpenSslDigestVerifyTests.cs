using System.Security.Cryptography;
using PipelinePki.Core.Validation;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>libcrypto called directly: the same verdicts as the platform classes, and no key answers for the wrong algorithm.</summary>
public sealed class OpenSslDigestVerifyTests
{
    private static readonly byte[] Data = "tbsCertificate bytes"u8.ToArray();

    private static OpenSslDigestVerify Create() =>
        OpenSslDigestVerify.TryCreate() ?? throw new InvalidOperationException("libcrypto.so.3 is part of this machine's image; the binding must load");

    [Theory]
    [InlineData("nistP256", "SHA256")]
    [InlineData("nistP384", "SHA384")]
    [InlineData("nistP521", "SHA512")]
    public void Ecdsa_ValidInvalidAndTampered(string curve, string hash)
    {
        using var key = ECDsa.Create(ECCurve.CreateFromFriendlyName(curve));
        var signature = key.SignData(Data, new HashAlgorithmName(hash), DSASignatureFormat.Rfc3279DerSequence);
        var spki = key.ExportSubjectPublicKeyInfo();
        using var verifier = Create();

        Assert.True(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, hash, Data, signature, spki));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, hash, [.. Data, 0], signature, spki));
        var tampered = (byte[])signature.Clone();
        tampered[^1] ^= 1;
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, hash, Data, tampered, spki));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, hash == "SHA256" ? "SHA384" : "SHA256", Data, signature, spki));
    }

    [Fact]
    public void RsaPkcs1_ValidAndInvalid_PssIsNotAccepted()
    {
        using var key = RSA.Create(2048);
        var spki = key.ExportSubjectPublicKeyInfo();
        var pkcs1 = key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var pss = key.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        using var verifier = Create();

        Assert.True(verifier.Verify(OpenSslDigestVerify.KeyKind.Rsa, "SHA256", Data, pkcs1, spki));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Rsa, "SHA256", Data, pss, spki));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Rsa, "SHA256", "other"u8, pkcs1, spki));
    }

    [Fact]
    public void KeyOfTheWrongKind_NeverVerifies()
    {
        using var rsa = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rsaSignature = rsa.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var ecSignature = ec.SignData(Data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var verifier = Create();

        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, "SHA256", Data, rsaSignature, rsa.ExportSubjectPublicKeyInfo()));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Rsa, "SHA256", Data, ecSignature, ec.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void MalformedKeys_AreRejected_IncludingTrailingBytes_AndAPointOffTheCurve()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = ec.SignData(Data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var spki = ec.ExportSubjectPublicKeyInfo();
        var offCurve = (byte[])spki.Clone();
        offCurve[^1] ^= 1; // the last byte of Y: the point is no longer on P-256
        using var verifier = Create();

        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, "SHA256", Data, signature, [.. spki, 0]));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, "SHA256", Data, signature, offCurve));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, "SHA256", Data, signature, [0x30, 0x00]));
        Assert.False(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, "SHA256", Data, signature, []));
        Assert.True(verifier.Verify(OpenSslDigestVerify.KeyKind.Ec, "SHA256", Data, signature, spki));
    }
}
