using System.Security.Cryptography;
using PipelinePki.Core.Encoding;

namespace PipelinePki.Core.Tests.Encoding;

public sealed class ManagedDigestTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(55)]
    [InlineData(64)]
    [InlineData(1000)]
    public void SameHashesAsThePlatform(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);

        Assert.Equal(SHA256.HashData(data), ManagedDigest.Sha256(data));
        Assert.Equal(SHA1.HashData(data), ManagedDigest.Sha1(data));
    }

    [Fact]
    public void KnownAnswer_Abc()
    {
        // FIPS 180-2 appendix B.1 / A.1.
        Assert.Equal("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", Convert.ToHexString(ManagedDigest.Sha256("abc"u8)));
        Assert.Equal("A9993E364706816ABA3E25717850C26C9CD0D89D", Convert.ToHexString(ManagedDigest.Sha1("abc"u8)));
    }
}
