using System.Diagnostics;
using BenchmarkDotNet.Running;
using Org.BouncyCastle.Math;
using PipelinePki.Benchmarks;
using PipelinePki.Core.Validation;

// `crl-scale [entries]`: load time, memory and lookup rate for one large CRL (a plain measurement,
// one process, so memory figures are not blurred by the harness). Anything else: BenchmarkDotNet.
if (args.Length > 0 && args[0] == "crl-scale")
{
    var entries = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
    var (der, spki, serials) = SyntheticCrl.Create(entries);
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    var before = GC.GetTotalMemory(forceFullCollection: true);
    var load = Stopwatch.StartNew();
    var crl = CrlDocument.Parse(der, "synthetic");
    load.Stop();
    using var signatures = new SignatureVerifier();
    var verify = Stopwatch.StartNew();
    var signatureOk = crl.SignatureVerifies(spki, signatures);
    verify.Stop();
    var after = GC.GetTotalMemory(forceFullCollection: true);
    GC.KeepAlive(crl);

    var lookups = 1_000_000;
    var random = new Random(7);
    var probes = Enumerable.Range(0, lookups).Select(i => i % 2 == 0 ? new BigInteger(1, serials[random.Next(serials.Count)]) : BigInteger.ValueOf(random.Next())).ToArray();
    var found = 0;
    var lookup = Stopwatch.StartNew();
    foreach (var probe in probes)
    {
        if (crl.TryFind(probe, crl.Issuer, out _))
        {
            found++;
        }
    }

    lookup.Stop();
    Console.WriteLine($"entries            {crl.Count:N0}");
    Console.WriteLine($"CRL size           {der.Length / 1024.0 / 1024.0:F1} MiB DER");
    Console.WriteLine($"load (parse+index) {load.Elapsed.TotalMilliseconds:F0} ms");
    Console.WriteLine($"signature check    {verify.Elapsed.TotalMilliseconds:F0} ms ({(signatureOk ? "valid" : "INVALID")})");
    Console.WriteLine($"index memory       {(after - before) / 1024.0 / 1024.0:F1} MiB retained ({(after - before) / (double)crl.Count:F0} bytes/entry, including the TBS bytes kept for the signature check)");
    Console.WriteLine($"lookups            {lookups:N0} in {lookup.Elapsed.TotalMilliseconds:F0} ms ({lookup.Elapsed.TotalMilliseconds * 1000 / lookups:F2} µs each, {found:N0} hits)");
    return signatureOk && found >= lookups / 2 ? 0 : 1;
}

BenchmarkSwitcher.FromAssembly(typeof(CrlLookupBenchmarks).Assembly).Run(args);
return 0;
