using PipelinePki.Core.Keys;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests;

public class PrivateKeyCodecTests
{
    public static TheoryData<string> KeyTypes => new() { "ecdsa-p256", "ecdsa-p384", "rsa-3072", "ed25519" };

    [Theory]
    [MemberData(nameof(KeyTypes))]
    public async Task EncryptedPem_OpenSslDecryptsWithSamePassphrase_AndWeReadItBack(string keyType)
    {
        using var temp = new TempDirectory();
        using var key = KeyGenerator.Generate(KeySpec.Parse(keyType));
        var path = temp.Combine("key.pem");
        await File.WriteAllTextAsync(path, PrivateKeyCodec.ToEncryptedPem(key, "correct horse battery", iterations: 10_000));

        Assert.Contains("BEGIN ENCRYPTED PRIVATE KEY", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        var openssl = await OpenSsl.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["KEYPASS"] = "correct horse battery" },
            "pkey", "-in", path, "-passin", "env:KEYPASS", "-pubout");
        Assert.True(openssl.ExitCode == 0, openssl.ToString());

        using var back = PrivateKeyCodec.Read(await File.ReadAllBytesAsync(path), path, () => "correct horse battery".AsMemory());
        Assert.Equal(key.Spec, back.Spec);
        Assert.Equal(key.SubjectPublicKeyInfo, back.SubjectPublicKeyInfo);
        // OpenSSL's view of the public key is the same one we hold.
        Assert.Contains(Convert.ToBase64String(key.SubjectPublicKeyInfo)[..40], openssl.StandardOutput.Replace("\n", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WrongPassphrase_ThrowsBadInputWithoutThePassphrase()
    {
        using var key = KeyGenerator.Generate(KeySpec.EcdsaP256);
        var pem = System.Text.Encoding.UTF8.GetBytes(PrivateKeyCodec.ToEncryptedPem(key, "right-passphrase", iterations: 10_000));

        var error = Assert.Throws<BadInputException>(() => PrivateKeyCodec.Read(pem, "ca/key.pem", () => "wrong-passphrase".AsMemory()));
        Assert.Contains("ca/key.pem", error.Message, StringComparison.Ordinal);
        Assert.Contains("wrong passphrase", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-passphrase", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EncryptedWithoutPassphrase_ThrowsUsage()
    {
        using var key = KeyGenerator.Generate(KeySpec.EcdsaP256);
        var pem = System.Text.Encoding.UTF8.GetBytes(PrivateKeyCodec.ToEncryptedPem(key, "right-passphrase", iterations: 10_000));
        Assert.Throws<UsageException>(() => PrivateKeyCodec.Read(pem, "key.pem", () => null));
    }

    [Fact]
    public async Task Read_OpenSslGeneratedSec1AndPkcs8Keys_Accepted()
    {
        using var temp = new TempDirectory();
        var pkcs8 = temp.Combine("p8.pem");
        var sec1 = temp.Combine("sec1.pem");
        Assert.Equal(0, (await OpenSsl.RunAsync("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", pkcs8)).ExitCode);
        Assert.Equal(0, (await OpenSsl.RunAsync("ec", "-in", pkcs8, "-out", sec1)).ExitCode);

        using var a = PrivateKeyCodec.Read(await File.ReadAllBytesAsync(pkcs8), pkcs8, () => null);
        using var b = PrivateKeyCodec.Read(await File.ReadAllBytesAsync(sec1), sec1, () => null);
        Assert.Equal(KeySpec.EcdsaP384, a.Spec);
        Assert.Equal(a.SubjectPublicKeyInfo, b.SubjectPublicKeyInfo);
    }

    [Fact]
    public void Read_Garbage_ThrowsBadInputNamingSource()
    {
        var error = Assert.Throws<BadInputException>(() =>
            PrivateKeyCodec.Read("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"u8, "junk.pem", () => null));
        Assert.Contains("junk.pem", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnsupportedRsaSize_ThrowsBadInput()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var der = rsa.ExportPkcs8PrivateKey();
        var error = Assert.Throws<BadInputException>(() => PrivateKeyCodec.Read(der, "rsa2048.der", () => null));
        Assert.Contains("2048", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA512")]
    [InlineData("-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA1")]
    [InlineData("-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA384")]
    [InlineData("-v1", "PBE-SHA1-3DES", "-iter", "2048")]
    public async Task Read_OpenSslEncryptedUnderOtherSchemes_DecryptsAndRejectsWrongPassphrase(string a, string b, string c, string d)
    {
        using var temp = new TempDirectory();
        var plain = temp.Combine("plain.pem");
        var encrypted = temp.Combine("enc.pem");
        Assert.Equal(0, (await OpenSsl.RunAsync("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", plain)).ExitCode);
        var converted = await OpenSsl.RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["KEYPASS"] = "pässphrase-ü" },
            "pkcs8", "-topk8", "-in", plain, "-out", encrypted, "-passout", "env:KEYPASS", a, b, c, d);
        Assert.True(converted.ExitCode == 0, converted.ToString());

        using var expected = PrivateKeyCodec.Read(await File.ReadAllBytesAsync(plain), plain, () => null);
        using var actual = PrivateKeyCodec.Read(await File.ReadAllBytesAsync(encrypted), encrypted, () => "pässphrase-ü".AsMemory());
        Assert.Equal(expected.SubjectPublicKeyInfo, actual.SubjectPublicKeyInfo);
        Assert.Throws<BadInputException>(() => PrivateKeyCodec.Read(File.ReadAllBytes(encrypted), encrypted, () => "passphrase-u".AsMemory()));
    }
}
