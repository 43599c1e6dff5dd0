using Microsoft.Extensions.Time.Testing;
using PipelinePki.Core.Inventory;
using PipelinePki.TestKit;

namespace PipelinePki.Core.Tests;

public class InventoryConcurrencyTests
{
    [Fact]
    public async Task Issue_ParallelCallersOnOneHome_UniqueSerialsAndCompleteInventory()
    {
        using var temp = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var home = temp.Combine("ca");
        await ThrowawayCa.CreateAsync(home, time, Keys.KeySpec.EcdsaP256);

        // Each task opens its own authority (its own SQLite connection), like separate processes would.
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            var serials = new List<string>();
            var authority = new Authorities.LocalAuthority(
                Authorities.LocalCaHome.Open(home), () => null, time, Microsoft.Extensions.Logging.Abstractions.NullLogger<Authorities.LocalAuthority>.Instance);
            for (var i = 0; i < 10; i++)
            {
                using var issued = await authority.IssueAsync(ThrowawayCa.Request(keySpec: Keys.KeySpec.EcdsaP256), CancellationToken.None);
                serials.Add(issued.Record.Serial);
            }

            return serials;
        })).ToList();
        var all = (await Task.WhenAll(tasks)).SelectMany(s => s).ToList();

        Assert.Equal(80, all.Count);
        Assert.Equal(80, all.Distinct().Count());
        using var store = InventoryStore.Open(Path.Combine(home, "inventory.db"));
        var leaves = store.List().Where(r => r.Profile != "intermediate-ca").Select(r => r.Serial).ToHashSet();
        Assert.True(leaves.SetEquals(all));
    }

    [Fact]
    public void TryAdd_DuplicateSerial_ReturnsFalseAndKeepsFirstRow()
    {
        using var temp = new TempDirectory();
        using var store = InventoryStore.Open(temp.Combine("inventory.db"));
        var now = DateTimeOffset.UtcNow;
        var record = new InventoryRecord("0A0B", "CN=a", "CN=ca", "KEY", ["dns:a"], now, now.AddHours(1), "mtls", "ecdsa-p384", "FP", "valid", null, null, "local", Requester.Unknown, now);

        Assert.True(store.TryAdd(record));
        Assert.False(store.TryAdd(record with { Subject = "CN=b" }));
        Assert.Equal("CN=a", Assert.Single(store.List()).Subject);
    }

    [Theory]
    [InlineData("0a:0b", "0A0B")]
    [InlineData("0x00A0B", "0A0B")]
    [InlineData("abc", "0ABC")]
    public void NormalizeSerial_AcceptsCommonSpellings(string input, string expected) =>
        Assert.Equal(expected, InventoryStore.NormalizeSerial(input));
}
