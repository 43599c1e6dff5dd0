using System.Security.Cryptography;
using PipelinePki.Core;
using PipelinePki.Core.Keys;
using PipelinePki.Hsm.Interop;
using PipelinePki.TestKit;

namespace PipelinePki.Hsm.Tests;

/// <summary>Keys generated on the token through our binding, the provider Core sees, digest signing, and two keys open at once.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11KeyGenerationTests(SoftHsmFixture fixture)
{
    [Theory]
    [InlineData("ecdsa-p256")]
    [InlineData("ecdsa-p384")]
    [InlineData("rsa-3072")]
    public async Task OpenOrGenerate_KeyAbsent_GeneratesSensitiveNeverExtractableKeyThenOpensTheSameOne(string spec)
    {
        var label = "gen-" + Guid.NewGuid().ToString("N")[..8];
        var provider = Provider();
        var reference = new ExternalKeyReference(fixture.Uri(label), null, PinVariable);

        byte[] spki;
        using (var created = provider.OpenOrGenerate(reference, KeySpec.Parse(spec)).Key)
        {
            spki = created.SubjectPublicKeyInfo;
            Assert.Equal(spec, created.Spec.Name);
            var attributes = ((Pkcs11SigningKey)created).ReadPrivateKeyAttributes(Cka.Extractable, Cka.Sensitive, Cka.NeverExtractable, Cka.Token);
            Assert.Equal([0], attributes[0]);
            Assert.Equal([1], attributes[1]);
            Assert.Equal([1], attributes[2]);
            Assert.Equal([1], attributes[3]);
        }

        var again = provider.OpenOrGenerate(reference, KeySpec.Parse(spec));
        using (again.Key)
        {
            Assert.False(again.Generated);
            Assert.Equal(Convert.ToHexString(spki), Convert.ToHexString(again.Key.SubjectPublicKeyInfo));
        }

        Assert.Equal(Convert.ToHexString(await fixture.Hsm.ExportPublicKeyAsync(label)), Convert.ToHexString(spki));
        var block = await fixture.Hsm.DescribeObjectAsync("privkey", label);
        Assert.Contains("never extractable", block, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenOrGenerate_Ed25519_UsageExceptionBeforeTouchingTheToken()
    {
        var e = Assert.Throws<UsageException>(() => Provider().OpenOrGenerate(new ExternalKeyReference(fixture.Uri("gen-ed"), null, PinVariable), KeySpec.Ed25519));

        Assert.Contains("ed25519", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(SoftHsmFixture.Keys), MemberType = typeof(SoftHsmFixture))]
    public void SignDigest_DigestHashedInProcess_VerifiesAsASignatureOverTheData(string label, string spec)
    {
        var data = RandomNumberGenerator.GetBytes(4096);
        using var key = (IDigestSigningKey)Provider().Open(new ExternalKeyReference(fixture.Uri(label), null, PinVariable));
        var digest = key.SignatureHash == HashAlgorithmName.SHA384 ? SHA384.HashData(data) : SHA256.HashData(data);

        var signature = key.SignDigest(digest);

        Assert.Equal(spec == "ecdsa-p384" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256, key.SignatureHash);
        Assert.True(VerifyData(key.SubjectPublicKeyInfo, data, signature, key.SignatureHash));
        Assert.Throws<ArgumentException>(() => key.SignDigest(digest.AsSpan(1)));
    }

    [Fact]
    public void Open_TwoKeysOnTheSameTokenAtOnce_BothSignAndCloseInReverseOrder()
    {
        var provider = Provider();
        using var first = provider.Open(new ExternalKeyReference(fixture.Uri("p384"), null, PinVariable));
        using var second = provider.Open(new ExternalKeyReference(fixture.Uri("p256"), null, PinVariable));

        var data = "two keys, one module"u8.ToArray();
        Assert.True(VerifyData(second.SubjectPublicKeyInfo, data, second.Sign(data), HashAlgorithmName.SHA256));
        Assert.True(VerifyData(first.SubjectPublicKeyInfo, data, first.Sign(data), HashAlgorithmName.SHA384));
    }

    [Fact]
    public void Provider_PinVariableUnset_UsageExceptionNamingItWithoutTouchingTheToken()
    {
        var provider = new Pkcs11KeyProvider(_ => null);

        var e = Assert.Throws<UsageException>(() => provider.Open(new ExternalKeyReference(fixture.Uri("p256"), null, "PPKI_NOT_SET")));

        Assert.Contains("--pin-env PPKI_NOT_SET", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Provider_HandlesAndDescribe_Pkcs11UrisOnly()
    {
        var provider = new Pkcs11KeyProvider(_ => null);

        Assert.True(provider.Handles("pkcs11:token=a;object=b"));
        Assert.True(provider.Handles("PKCS11:token=a"));
        Assert.False(provider.Handles("/etc/keys/ca.key.pem"));
        Assert.Equal("pkcs11:token=CI;object=root", provider.Describe("pkcs11:token=CI;object=root?module-path=/m.so"));
    }

    [Fact]
    public void Open_ModuleFromReferenceWhenUriHasNone_UsesIt()
    {
        using var key = Provider().Open(new ExternalKeyReference($"pkcs11:token={fixture.Hsm.TokenLabel};object=p256", SoftHsm.ModulePath, PinVariable));

        Assert.Equal("ecdsa-p256", key.Spec.Name);
    }

    [Fact]
    public void Open_NoModuleAnywhere_UsageExceptionPointingToModuleOption()
    {
        var e = Assert.Throws<UsageException>(() => Provider().Open(new ExternalKeyReference($"pkcs11:token={fixture.Hsm.TokenLabel};object=p256", null, PinVariable)));

        Assert.Contains("--module", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_FileThatIsNotAModule_BadInputNamingIt()
    {
        using var temp = new TempDirectory();
        var bogus = temp.Combine("not-a-module.so");
        File.WriteAllText(bogus, "not an ELF file");

        var e = Assert.Throws<BadInputException>(() => Provider().Open(new ExternalKeyReference(fixture.Uri("p256", module: bogus), null, PinVariable)));

        Assert.Contains($"{bogus}: cannot load the PKCS#11 module", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Hsm.UserPin, e.Message, StringComparison.Ordinal);
    }

    private const string PinVariable = "PPKI_TEST_TOKEN_PIN";

    private Pkcs11KeyProvider Provider() => new(name => name == PinVariable ? fixture.Hsm.UserPin : null);

    private static bool VerifyData(byte[] spki, byte[] data, byte[] signature, HashAlgorithmName hash)
    {
        using var key = PublicKeyInfo.Import(spki);
        return key switch
        {
            ECDsa ec => ec.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence),
            RSA rsa => rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pkcs1),
            _ => false,
        };
    }
}
