using PipelinePki.Core;

namespace PipelinePki.Hsm.Tests;

public sealed class Pkcs11UriTests
{
    [Fact]
    public void Parse_FullUri_DecodesPathAndQueryAttributes()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:token=CI%20Token;object=ca%2Dkey;id=%01%02%ff;type=private;slot-id=3?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin");

        Assert.Equal("CI Token", uri.Token);
        Assert.Equal("ca-key", uri.Object);
        Assert.Equal(new byte[] { 0x01, 0x02, 0xFF }, uri.Id!.Value.ToArray());
        Assert.Equal("private", uri.Type);
        Assert.Equal("/usr/lib/softhsm/libsofthsm2.so", uri.ModulePath);
        Assert.Equal("file:/run/pin", uri.PinSource);
    }

    [Fact]
    public void Parse_Utf8PercentEscapes_DecodesAsUtf8()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:object=cl%C3%A9");

        Assert.Equal("clé", uri.Object);
        Assert.Null(uri.Token);
        Assert.Null(uri.Id);
    }

    [Fact]
    public void Parse_PinValue_UsageExceptionPointsToPinEnvWithoutThePin()
    {
        var e = Assert.Throws<UsageException>(() => Pkcs11Uri.Parse("pkcs11:token=CI;object=k?pin-value=s3cret-4711"));

        Assert.Contains("pin-value", e.Message, StringComparison.Ordinal);
        Assert.Contains("--pin-env", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-4711", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("token=CI;object=k", "must start with 'pkcs11:'")]
    [InlineData("pkcs11:token=CI;id=%0G", "attribute 'id' has a malformed percent-escape")]
    [InlineData("pkcs11:token=CI;object=a%2", "attribute 'object' has a malformed percent-escape")]
    [InlineData("pkcs11:token=A;token=B", "attribute 'token' appears twice")]
    [InlineData("pkcs11:token=CI;type=secret", "type 'secret' is not one of")]
    [InlineData("pkcs11:token=CI;colour=blue", "unknown path attribute 'colour'")]
    [InlineData("pkcs11:token=CI?module-path=/x&debug=1", "unknown query attribute 'debug'")]
    [InlineData("pkcs11:token", "'token' is not an attribute=value pair")]
    [InlineData("pkcs11:object=%FF%FE", "attribute 'object' is not valid UTF-8")]
    public void Parse_MalformedUri_UsageExceptionNamingTheProblem(string text, string expected)
    {
        var e = Assert.Throws<UsageException>(() => Pkcs11Uri.Parse(text));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("PKCS#11 URI:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_VendorAttribute_Ignored()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:token=CI;x-vendor=1;object=k?x-other=2");

        Assert.Equal("CI", uri.Token);
        Assert.Equal("k", uri.Object);
    }

    [Fact]
    public void Description_UriWithId_NamesTokenObjectAndHexId()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:token=CI;object=k;id=%0a%0b?module-path=/m.so");

        Assert.Equal("pkcs11:token=CI;object=k;id=0A0B", uri.Description);
    }
}
