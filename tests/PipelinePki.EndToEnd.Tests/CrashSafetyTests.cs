using System.Diagnostics;
using Microsoft.Data.Sqlite;
using PipelinePki.TestKit;

namespace PipelinePki.EndToEnd.Tests;

public class CrashSafetyTests
{
    /// <summary>
    /// Kills issuing processes at random moments (SIGKILL: no cleanup runs) and then checks that the
    /// inventory is intact and holds only complete rows, and that every certificate file on disk is
    /// whole: the transaction and temp-file-plus-rename guarantees, observed from outside.
    /// </summary>
    [Fact]
    public async Task Issue_ProcessesKilledMidway_InventoryIntactAndFilesWhole()
    {
        using var cli = new CliSession();
        await cli.InitAsync("--no-passphrase", "--key-type", "ecdsa-p256");
        var (fileName, prefix) = CliProcess.Command();
        var random = new Random(1234);
        var killed = 0;
        for (var round = 0; round < 24; round++)
        {
            var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in prefix.Concat(["cert", "issue", "--home", cli.Home, "--name", $"k{round}", "--out", cli.PathOf($"k{round}")]))
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            await Task.Delay(random.Next(0, 40));
            if (!process.HasExited)
            {
                process.Kill();
                killed++;
            }

            await process.WaitForExitAsync();
        }

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(cli.Home, "inventory.db")};Pooling=false"))
        {
            connection.Open();
            using var check = connection.CreateCommand();
            check.CommandText = "PRAGMA integrity_check;";
            Assert.Equal("ok", check.ExecuteScalar());
            using var incomplete = connection.CreateCommand();
            incomplete.CommandText = "SELECT COUNT(*) FROM certificates WHERE serial = '' OR subject = '' OR fingerprint = '' OR not_after = '' OR issued_at = '';";
            Assert.Equal(0L, incomplete.ExecuteScalar());
        }

        // Every certificate file that exists is complete and verifies; no temp files were promoted.
        foreach (var certificate in Directory.GetFiles(cli.Root, "cert.pem", SearchOption.AllDirectories))
        {
            var directory = Path.GetDirectoryName(certificate)!;
            if (!File.Exists(Path.Combine(directory, "root.pem")))
            {
                continue; // killed between files: the rerun rewrites them all, and cert.pem alone is still whole
            }

            var verdict = await OpenSsl.RunAsync("x509", "-in", certificate, "-noout", "-subject");
            Assert.True(verdict.ExitCode == 0, $"{certificate}: {verdict}");
        }

        // The CA still works after all that.
        await cli.RunOkAsync("cert", "issue", "--home", cli.Home, "--name", "after", "--out", cli.PathOf("after"));
        var inventory = await cli.RunOkAsync("ca", "inventory", "--home", cli.Home, "--format", "json");
        Assert.Contains("CN=after", inventory.StandardOutput, StringComparison.Ordinal);
        Assert.True(killed > 0, "the test must actually kill some processes mid-run");
    }
}
