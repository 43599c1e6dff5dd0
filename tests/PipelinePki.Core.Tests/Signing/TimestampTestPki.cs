using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Keys;
using PipelinePki.Core.Signing.Timestamping;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests.Signing;

/// <summary>
/// A throwaway two-tier CA (made by the product) plus a TSA certificate issued by its intermediate,
/// with everything OpenSSL needs written as PEM files in the temp folder.
/// </summary>
internal sealed class TimestampTestPki : IDisposable
{
    public const string Policy = "1.3.6.1.4.1.99999.1.1";

    private TimestampTestPki(TempDirectory temp, FakeTimeProvider time, IExportableKey intermediateKey, X509Certificate intermediate, IExportableKey tsaKey, X509Certificate tsaCertificate)
    {
        Temp = temp;
        Time = time;
        IntermediateKey = intermediateKey;
        Intermediate = intermediate;
        TsaKey = tsaKey;
        TsaCertificate = tsaCertificate;
    }

    public TempDirectory Temp { get; }

    public FakeTimeProvider Time { get; }

    public IExportableKey IntermediateKey { get; }

    public X509Certificate Intermediate { get; }

    public IExportableKey TsaKey { get; }

    public X509Certificate TsaCertificate { get; }

    public string RootPem => Temp.Combine("ca", "root.pem");

    /// <summary>TSA certificate then intermediate: what <c>openssl ts -verify -untrusted</c> gets.</summary>
    public string UntrustedPem => Temp.Combine("chain-tsa.pem");

    public string TsaPem => Temp.Combine("tsa.pem");

    public string TsaKeyPem => Temp.Combine("tsa.key");

    /// <param name="fraction">Sub-second part of the fake clock, so whole-second genTime is really tested.</param>
    public static async Task<TimestampTestPki> CreateAsync(KeySpec? tsaKeySpec = null, TimeSpan? fraction = null)
    {
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) + (fraction ?? TimeSpan.FromMilliseconds(678));
        var time = new FakeTimeProvider(start.AddSeconds(-5));
        var temp = new TempDirectory();
        var home = temp.Combine("ca");
        await ThrowawayCa.CreateAsync(home, time);
        time.SetUtcNow(start);
        var keyPath = Path.Combine(home, "intermediate.key.pem");
        var intermediateKey = PrivateKeyCodec.Read(await File.ReadAllBytesAsync(keyPath), keyPath, () => null);
        var intermediate = PkiObjectReader.ReadSingleCertificate(Path.Combine(home, "intermediate.pem"));
        var tsaKey = KeyGenerator.Generate(tsaKeySpec ?? KeySpec.EcdsaP256);
        var tsaCertificate = TsaCertificateFactory.Create(
            intermediateKey, intermediate, tsaKey, "Test TSA", start.AddMinutes(-1), start.AddDays(30));
        var pki = new TimestampTestPki(temp, time, intermediateKey, intermediate, tsaKey, tsaCertificate);
        await File.WriteAllTextAsync(pki.TsaPem, Pem(tsaCertificate));
        await File.WriteAllTextAsync(pki.UntrustedPem, Pem(tsaCertificate) + Pem(intermediate));
        await File.WriteAllTextAsync(pki.TsaKeyPem, PrivateKeyCodec.ToPem(tsaKey));
        return pki;
    }

    public TimestampAuthority NewAuthority() => new(TsaKey, TsaCertificate, [Intermediate], Policy, Time);

    public static string Pem(X509Certificate certificate) =>
        new string(PemEncoding.Write("CERTIFICATE", certificate.GetEncoded())) + "\n";

    public void Dispose()
    {
        TsaKey.Dispose();
        IntermediateKey.Dispose();
        Temp.Dispose();
    }
}
