using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Net.Pkcs11Interop.Common;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkcs;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.TestKit;

namespace PipelinePki.Hsm.Tests;

[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11SigningKeyTests(SoftHsmFixture fixture)
{
    private static readonly byte[] Message = "artifact digest to sign"u8.ToArray();

    [Theory]
    [MemberData(nameof(SoftHsmFixture.Keys), MemberType = typeof(SoftHsmFixture))]
    public void Sign_KeyOnToken_VerifiesWithDotNetAgainstTheBuiltSpki(string label, string spec)
    {
        using var key = fixture.Open(fixture.Uri(label));

        var signature = key.Sign(Message);

        Assert.Equal(SoftHsmFixture.SpecOf(spec), key.Spec);
        Assert.True(Verify(key.SubjectPublicKeyInfo, Message, signature, spec), "signature does not verify");
        Assert.False(Verify(key.SubjectPublicKeyInfo, [.. Message, 0x00], signature, spec), "signature verifies over other data");
    }

    [Theory]
    [MemberData(nameof(SoftHsmFixture.Keys), MemberType = typeof(SoftHsmFixture))]
    public async Task SubjectPublicKeyInfo_KeyOnToken_EqualsPkcs11ToolExport(string label, string spec)
    {
        byte[] ours;
        using (var key = fixture.Open(fixture.Uri(label)))
        {
            ours = key.SubjectPublicKeyInfo;
            Assert.Equal(spec, key.Spec.Name);
        }

        var theirs = await fixture.Hsm.ExportPublicKeyAsync(label);

        Assert.Equal(Convert.ToHexString(theirs), Convert.ToHexString(ours));
    }

    [Theory]
    [MemberData(nameof(SoftHsmFixture.Keys), MemberType = typeof(SoftHsmFixture))]
    public async Task IssueAsync_CsrSignedOnToken_OpenSslVerifiesCertificateForTheHsmKey(string label, string spec)
    {
        using var temp = new TempDirectory();
        var authority = await ThrowawayCa.CreateAsync(temp.Combine("ca"), new FakeTimeProvider(DateTimeOffset.UtcNow));
        byte[] csr;
        byte[] spki;
        using (var key = fixture.Open(fixture.Uri(label)))
        {
            spki = key.SubjectPublicKeyInfo;
            csr = new Pkcs10CertificationRequest(
                new KeySignatureFactory(key),
                new X509Name($"CN=hsm-{label}"),
                SubjectPublicKeyInfo.GetInstance(spki),
                null).GetEncoded();
        }

        var request = ThrowawayCa.Request(string.Empty) with { CertificationRequest = new CertificationRequestInput(csr, $"{label}.csr") };
        using var issued = await authority.IssueAsync(request, CancellationToken.None);
        var files = IssuedCertificateWriter.Write(temp.Combine("out"), issued);

        Assert.Equal(spec, issued.Record.KeyType);
        Assert.Equal($"CN=hsm-{label}", issued.Record.Subject);
        Assert.Equal(Convert.ToHexString(spki), Convert.ToHexString(issued.Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        var verdict = await OpenSsl.VerifyAsync(files.Root!, files.Chain, files.Certificate, "sslclient");
        Assert.True(verdict.ExitCode == 0, verdict.ToString());
    }

    [Fact]
    public void Open_ByIdOnly_FindsTheKeyWithThatId()
    {
        using var key = fixture.Open($"pkcs11:token={fixture.Hsm.TokenLabel};id=%02?module-path={SoftHsm.ModulePath}");

        Assert.Equal("ecdsa-p384", key.Spec.Name);
    }

    [Fact]
    public void Open_LabelAndMismatchedId_BadInputNamingObject()
    {
        var e = Assert.Throws<BadInputException>(() =>
            fixture.Open($"pkcs11:token={fixture.Hsm.TokenLabel};object=p256;id=%03?module-path={SoftHsm.ModulePath}"));

        Assert.Contains("no private key object 'p256'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WrongPin_BadInputPinRejectedWithoutThePin()
    {
        const string WrongPin = "99999999";

        var e = Assert.Throws<BadInputException>(() => fixture.Open(fixture.Uri("p256"), WrongPin));

        Assert.Contains("PIN rejected by the token (CKR_PIN_INCORRECT)", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPin, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Hsm.UserPin, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UnknownToken_BadInputNamingToken()
    {
        var e = Assert.Throws<BadInputException>(() => fixture.Open(fixture.Uri("p256", token: "no-such-token")));

        Assert.Contains("token 'no-such-token' not found", e.Message, StringComparison.Ordinal);
        Assert.Contains(fixture.Hsm.TokenLabel, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Hsm.UserPin, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UnknownObject_BadInputNamingObjectAndToken()
    {
        var e = Assert.Throws<BadInputException>(() => fixture.Open(fixture.Uri("no-such-key")));

        Assert.Contains("no private key object 'no-such-key'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"token '{fixture.Hsm.TokenLabel}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingModule_BadInputNamingPath()
    {
        const string Module = "/nonexistent/libpkcs11-missing.so";

        var e = Assert.Throws<BadInputException>(() => fixture.Open(fixture.Uri("p256", module: Module)));

        Assert.Contains(Module, e.Message, StringComparison.Ordinal);
        Assert.Contains("module not found", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PinValueInUri_UsageExceptionBeforeTouchingTheToken()
    {
        var uri = fixture.Uri("p256") + "&pin-value=" + fixture.Hsm.UserPin;

        var e = Assert.Throws<UsageException>(() => fixture.Open(uri));

        Assert.Contains("--pin-env", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Hsm.UserPin, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PinVariableUnset_UsageExceptionNamingTheVariable()
    {
        var e = Assert.Throws<UsageException>(() =>
            Pkcs11KeyStore.Open(new Pkcs11KeyRequest(Pkcs11Uri.Parse(fixture.Uri("p256")), "PPKI_TEST_PIN_NEVER_SET")));

        Assert.Contains("--pin-env PPKI_TEST_PIN_NEVER_SET", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_PublicKeyType_UsageException()
    {
        var e = Assert.Throws<UsageException>(() =>
            fixture.Open($"pkcs11:token={fixture.Hsm.TokenLabel};object=p256;type=public?module-path={SoftHsm.ModulePath}"));

        Assert.Contains("type=public does not name a private key", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("p256", CKA.CKA_VALUE)]
    [InlineData("rsa3072", CKA.CKA_PRIVATE_EXPONENT)]
    public void PrivateKey_OnToken_NotExtractableAndItsValueCannotBeRead(string label, CKA secret)
    {
        using var key = fixture.Open(fixture.Uri(label));

        var attributes = key.ReadPrivateKeyAttributes([CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE, secret]);

        Assert.False(attributes[0].GetValueAsBool(), "CKA_EXTRACTABLE is true");
        Assert.True(attributes[1].GetValueAsBool(), "CKA_SENSITIVE is false");
        Assert.True(attributes[2].CannotBeRead, $"{secret} was readable");
    }

    [Theory]
    [InlineData("p256")]
    [InlineData("p384")]
    [InlineData("rsa3072")]
    public async Task PrivateKey_ListedByPkcs11Tool_SensitiveAndNeverExtractable(string label)
    {
        var block = await fixture.Hsm.DescribeObjectAsync("privkey", label);

        var access = block.Split('\n').Single(line => line.TrimStart().StartsWith("Access:", StringComparison.Ordinal));
        Assert.Contains("never extractable", access, StringComparison.Ordinal);
        Assert.Contains("always sensitive", access, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_AfterDispose_ObjectDisposed()
    {
        var key = fixture.Open(fixture.Uri("p256"));
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.Sign(Message));
    }

    private static bool Verify(byte[] spki, byte[] data, byte[] signature, string spec)
    {
        if (spec.StartsWith("ecdsa", StringComparison.Ordinal))
        {
            using var ec = ECDsa.Create();
            ec.ImportSubjectPublicKeyInfo(spki, out _);
            var hash = spec == "ecdsa-p384" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
            return ec.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
        }

        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
