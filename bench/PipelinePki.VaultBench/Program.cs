using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Abstractions;
using PipelinePki.Sources.Vault;
using PipelinePki.TestKit;
using PipelinePki.TestKit.Vault;

// `inprocess N`: N issuances (sign mode, P-384 key made here) through VaultSource against the
//   stand-in in the same process; prints one line per request (ms) on stdout, summary on stderr.
// `serve READY_FILE`: runs the stand-in until SIGTERM; writes "ADDRESS TOKEN" to READY_FILE (0600).
var mode = args.Length > 0 ? args[0] : "inprocess";
using var temp = new TempDirectory();
await using var vault = await VaultStandIn.StartAsync(temp.Combine("vault-ca"), new VaultStandInOptions { Role = new VaultRoleConfig("ci", ["example.internal"]) });

if (mode == "serve")
{
    var ready = args[1];
    var stop = new TaskCompletionSource();
    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        stop.TrySetResult();
    });
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
    {
        context.Cancel = true;
        stop.TrySetResult();
    });
    File.WriteAllText(ready + ".tmp", $"{vault.Url} {vault.Options.RootToken}\n");
    File.SetUnixFileMode(ready + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
    File.Move(ready + ".tmp", ready, overwrite: true);
    await stop.Task;
    return 0;
}

var requests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var options = new VaultOptions
{
    Address = vault.Address,
    Role = "ci",
    Authentication = new VaultTokenAuthentication(new VaultSecret("bench token", _ => Task.FromResult(vault.Options.RootToken))),
};
await using var host = VaultSourceHost.Create(options, NullLoggerFactory.Instance, TimeProvider.System);
for (var i = 0; i < 5; i++)
{
    using var warm = await host.Source.IssueAsync(ThrowawayCa.Request("warm.example.internal"), CancellationToken.None);
}

var timings = new List<double>(requests);
for (var i = 0; i < requests; i++)
{
    var watch = Stopwatch.StartNew();
    using var issued = await host.Source.IssueAsync(ThrowawayCa.Request($"b{i}.example.internal"), CancellationToken.None);
    watch.Stop();
    timings.Add(watch.Elapsed.TotalMilliseconds);
    Console.WriteLine(watch.Elapsed.TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture));
}

timings.Sort();
double Percentile(double p) => timings[Math.Min(timings.Count - 1, (int)Math.Ceiling(p / 100 * timings.Count) - 1)];
Console.Error.WriteLine($"in-process: n={timings.Count} p50={Percentile(50):F1} p90={Percentile(90):F1} p99={Percentile(99):F1} max={timings[^1]:F1} ms");
return 0;
