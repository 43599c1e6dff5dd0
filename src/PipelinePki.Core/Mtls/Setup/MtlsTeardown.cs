using System.Text.RegularExpressions;
using PipelinePki.Core.IO;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// <c>mtls teardown</c>: reverses a setup from its manifest, newest change first. Modified files get
/// their previous bytes and mode back, created files are overwritten (keys) and unlinked, created
/// directories are removed when empty. Works on a manifest of a setup that was killed halfway, and
/// a second run finds nothing to do.
/// </summary>
public sealed class MtlsTeardown
{
    public MtlsTeardownResult Run(MtlsTeardownRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var stateDirectory = Path.GetFullPath(request.StateDirectory);
        var manifest = MtlsManifestFile.TryLoad(stateDirectory);
        if (manifest is null)
        {
            // A setup killed while saving its very first manifest leaves only that temp file.
            RemoveStrayTempFiles(MtlsManifestFile.PathIn(stateDirectory));
            return new MtlsTeardownResult(stateDirectory, false, false, [], [], [$"no mtls setup recorded in {stateDirectory}: nothing to tear down."]);
        }

        return Reverse(stateDirectory, manifest);
    }

    internal static MtlsTeardownResult Reverse(string stateDirectory, MtlsManifest manifest)
    {
        var changes = new List<MtlsChange>();
        var notes = new List<string>();
        var failures = new List<string>();
        foreach (var entry in Enumerable.Reverse(manifest.Entries))
        {
            try
            {
                if (entry.Kind == "directory")
                {
                    RemoveDirectory(entry, changes, notes);
                }
                else
                {
                    RemoveStrayTempFiles(entry.Path);
                    if (entry.Existed)
                    {
                        Restore(entry, changes);
                    }
                    else if (File.Exists(entry.Path))
                    {
                        Unlink(entry.Path, entry.Secret);
                        changes.Add(new MtlsChange(entry.Path, "deleted"));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PipelinePkiException)
            {
                failures.Add($"{entry.Path} ({e.Message})");
            }
        }

        if (failures.Count > 0)
        {
            // The manifest stays, so a rerun (after fixing permissions) finishes the job.
            throw new BadInputException($"{MtlsManifestFile.PathIn(stateDirectory)}: could not reverse {string.Join("; ", failures)}; fix that and run mtls teardown again.");
        }

        // The manifest holds previous contents (an .npmrc token, say): wiped like a key.
        Unlink(MtlsManifestFile.PathIn(stateDirectory), secret: true);
        RemoveStrayTempFiles(MtlsManifestFile.PathIn(stateDirectory));
        if (manifest.StateDirectoryCreated && Directory.Exists(stateDirectory))
        {
            if (Directory.EnumerateFileSystemEntries(stateDirectory).Any())
            {
                notes.Add($"kept {stateDirectory}: it holds files setup did not write.");
            }
            else
            {
                Directory.Delete(stateDirectory);
                changes.Add(new MtlsChange(stateDirectory, "removed"));
            }
        }

        var environment = manifest.Environment.Select(v => new EnvironmentAssignment(v.Name, v.PreviousValue ?? string.Empty)).ToList();
        return new MtlsTeardownResult(stateDirectory, true, manifest.Completed, changes, environment, notes);
    }

    private static void Restore(ManifestEntry entry, List<MtlsChange> changes)
    {
        var previous = Convert.FromBase64String(entry.PreviousContent ?? string.Empty);
        var mode = (UnixFileMode)(entry.PreviousMode ?? 0b110_100_100);
        var same = File.Exists(entry.Path)
            && File.ReadAllBytes(entry.Path).AsSpan().SequenceEqual(previous)
            && (OperatingSystem.IsWindows() || File.GetUnixFileMode(entry.Path) == mode);
        if (same)
        {
            return;
        }

        AtomicFile.Write(entry.Path, previous, mode);
        changes.Add(new MtlsChange(entry.Path, "restored"));
    }

    private static void RemoveDirectory(ManifestEntry entry, List<MtlsChange> changes, List<string> notes)
    {
        if (!Directory.Exists(entry.Path))
        {
            return;
        }

        if (Directory.EnumerateFileSystemEntries(entry.Path).Any())
        {
            notes.Add($"kept {entry.Path}: it holds files setup did not write.");
            return;
        }

        Directory.Delete(entry.Path);
        changes.Add(new MtlsChange(entry.Path, "removed"));
    }

    /// <summary>Overwrites a secret file's bytes in place before unlinking, so the key does not linger in freed blocks of a simple filesystem.</summary>
    private static void Unlink(string path, bool secret)
    {
        if (!File.Exists(path))
        {
            return;
        }

        if (secret)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
            var zeros = new byte[Math.Min(stream.Length, 1 << 20)];
            for (long written = 0; written < stream.Length; written += zeros.Length)
            {
                stream.Write(zeros, 0, (int)Math.Min(zeros.Length, stream.Length - written));
            }

            stream.Flush(flushToDisk: true);
        }

        File.Delete(path);
    }

    /// <summary>A setup killed inside <see cref="AtomicFile"/> leaves its temp file (<c>.NAME.GUID.tmp</c>) next to the target.</summary>
    private static void RemoveStrayTempFiles(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            return;
        }

        var pattern = new Regex("^" + Regex.Escape("." + Path.GetFileName(path) + ".") + "[0-9a-f]{32}\\.tmp$", RegexOptions.CultureInvariant);
        foreach (var candidate in Directory.EnumerateFiles(directory, "." + Path.GetFileName(path) + ".*.tmp"))
        {
            if (pattern.IsMatch(Path.GetFileName(candidate)))
            {
                Unlink(candidate, secret: true);
            }
        }
    }
}
