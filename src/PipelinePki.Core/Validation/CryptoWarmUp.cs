namespace PipelinePki.Core.Validation;

/// <summary>Warms up what signature verification loads on first use (see <see cref="OpenSslDigestVerify.WarmUp"/>).</summary>
public static class CryptoWarmUp
{
    /// <returns>Whether the known-answer verification succeeded; false also when libcrypto 3 is not available.</returns>
    public static bool Run() => OpenSslDigestVerify.WarmUp();
}
