using BenchmarkDotNet.Attributes;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using PipelinePki.Core.Validation;

namespace PipelinePki.Benchmarks;

/// <summary>The revocation hot path: one serial looked up in a large CRL that is already loaded.</summary>
[MemoryDiagnoser]
public class CrlLookupBenchmarks
{
    private CrlDocument crl = null!;
    private BigInteger present = null!;
    private BigInteger absent = null!;
    private X509Name issuer = null!;

    [Params(1_000, 1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (der, _, serials) = SyntheticCrl.Create(Entries);
        crl = CrlDocument.Parse(der, "synthetic");
        present = new BigInteger(1, serials[serials.Count / 2]);
        absent = new BigInteger(1, [0x01, 0x02, 0x03]);
        issuer = crl.Issuer;
    }

    [Benchmark]
    public bool LookupRevoked() => crl.TryFind(present, issuer, out _);

    [Benchmark]
    public bool LookupNotRevoked() => crl.TryFind(absent, issuer, out _);
}
