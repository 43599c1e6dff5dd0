namespace PipelinePki.Core.IO;

/// <summary>
/// Replaces a set of files in one directory so that readers never see a mix of old and new: the new
/// set is written completely into a staging directory inside the target (same file system, so every
/// move is a rename), then a commit marker listing the files is written atomically, then each file is
/// renamed over its old self, then the marker goes. A crash before the marker leaves the old set
/// untouched (the staging directory is discarded next time); a crash after it is rolled forward by
/// <see cref="Recover"/>, so the end state is always all old or all new.
/// </summary>
public static class FileSetReplacement
{
    private const string MarkerName = ".replace-commit";
    private const string StagingPrefix = ".staging-";

    /// <summary>A fresh, private staging directory inside <paramref name="directory"/>.</summary>
    public static string CreateStaging(string directory)
    {
        var staging = Path.Combine(Path.GetFullPath(directory), StagingPrefix + Guid.NewGuid().ToString("N"));
        AtomicFile.CreatePrivateDirectory(staging);
        return staging;
    }

    /// <summary>Moves every file of <paramref name="staging"/> into its parent directory, all or nothing.</summary>
    public static IReadOnlyList<string> Commit(string staging)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(staging))!;
        var names = Directory.GetFiles(staging).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        AtomicFile.WriteText(Path.Combine(directory, MarkerName), string.Join('\n', [Path.GetFileName(staging), .. names]) + "\n", secret: false);
        Finish(directory);
        return names.Select(n => Path.Combine(directory, n)).ToList();
    }

    /// <summary>Completes an interrupted commit, and removes staging directories that were never committed.</summary>
    public static void Recover(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        Finish(Path.GetFullPath(directory));
        foreach (var abandoned in Directory.GetDirectories(directory, StagingPrefix + "*"))
        {
            Discard(abandoned);
        }
    }

    public static void Discard(string staging)
    {
        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static void Finish(string directory)
    {
        var marker = Path.Combine(directory, MarkerName);
        if (!File.Exists(marker))
        {
            return;
        }

        var lines = File.ReadAllLines(marker).Where(l => l.Length > 0).ToList();
        var staging = Path.Combine(directory, lines[0]);
        foreach (var name in lines.Skip(1))
        {
            var staged = Path.Combine(staging, name);
            if (File.Exists(staged))
            {
                // Rename within one directory tree: atomic per file; the marker makes the set atomic.
                File.Move(staged, Path.Combine(directory, name), overwrite: true);
            }
        }

        File.Delete(marker);
        Discard(staging);
    }
}
