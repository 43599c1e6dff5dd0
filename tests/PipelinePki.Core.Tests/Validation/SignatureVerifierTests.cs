using System.Security.Cryptography;
using PipelinePki.Core.Validation;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>One validation run's signature checks: keys are imported once, and every verdict is still the signature's own.</summary>
public sealed class SignatureVerifierTests
{
    private const string EcdsaSha384 = "1.2.840.10045.4.3.3";
    private const string EcdsaSha256 = "1.2.840.10045.4.3.2";
    private const string RsaSha256 = "1.2.840.113549.1.1.11";

    private static readonly byte[] Data = "to-be-signed bytes"u8.ToArray();
    private static readonly byte[] Other = "other bytes"u8.ToArray();

    [Fact]
    public void OneKey_ManySignatures_EachJudgedOnItsOwnBytes()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var spki = key.ExportSubjectPublicKeyInfo();
        var first = key.SignData(Data, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);
        var second = key.SignData(Other, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var verifier = new SignatureVerifier();

        Assert.True(verifier.Verify(EcdsaSha384, Data, first, spki));
        Assert.True(verifier.Verify(EcdsaSha256, Other, second, spki));
        Assert.False(verifier.Verify(EcdsaSha384, Other, first, spki));
        Assert.False(verifier.Verify(EcdsaSha384, Data, second, spki));
        Assert.True(verifier.Verify(EcdsaSha384, Data, first, spki));
    }

    [Fact]
    public void WrongKey_WrongKind_AndGarbage_AreNotValid_AndDoNotSpoilTheCache()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var otherEc = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        var ecSignature = ec.SignData(Data, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);
        var rsaSignature = rsa.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var verifier = new SignatureVerifier();

        Assert.False(verifier.Verify(EcdsaSha384, Data, ecSignature, otherEc.ExportSubjectPublicKeyInfo()));
        Assert.False(verifier.Verify(EcdsaSha384, Data, ecSignature, rsa.ExportSubjectPublicKeyInfo()));
        Assert.False(verifier.Verify(RsaSha256, Data, rsaSignature, ec.ExportSubjectPublicKeyInfo()));
        Assert.False(verifier.Verify(EcdsaSha384, Data, ecSignature, [0x30, 0x03, 0x02, 0x01, 0x00]));
        Assert.False(verifier.Verify(EcdsaSha384, Data, [0x30, 0x00], ec.ExportSubjectPublicKeyInfo()));

        Assert.True(verifier.Verify(EcdsaSha384, Data, ecSignature, ec.ExportSubjectPublicKeyInfo()));
        Assert.True(verifier.Verify(RsaSha256, Data, rsaSignature, rsa.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void AfterDispose_TheVerifierStartsAfresh()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = key.SignData(Data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var verifier = new SignatureVerifier();
        Assert.True(verifier.Verify(EcdsaSha256, Data, signature, key.ExportSubjectPublicKeyInfo()));

        verifier.Dispose();

        Assert.True(verifier.Verify(EcdsaSha256, Data, signature, key.ExportSubjectPublicKeyInfo()));
        verifier.Dispose();
    }
}
