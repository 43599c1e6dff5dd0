using PipelinePki.Core.IO;

namespace PipelinePki.Core.Mtls.Setup;

/// <summary>
/// Every change setup makes goes through here: the manifest entry (with the previous content and
/// mode) is saved first, then the change is made with <see cref="AtomicFile"/>. A process killed at
/// any point leaves a manifest that covers everything on disk, so teardown can always reverse it.
/// </summary>
internal sealed class SetupJournal
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly MtlsManifest manifest;
    private readonly HashSet<string> recordedPaths = new(StringComparer.Ordinal);

    private SetupJournal(string stateDirectory, MtlsManifest manifest)
    {
        StateDirectory = stateDirectory;
        this.manifest = manifest;
    }

    public string StateDirectory { get; }

    public IReadOnlyList<ManifestVariable> Environment => manifest.Environment;

    /// <summary>Starts a journal in <paramref name="stateDirectory"/>; refuses when an earlier setup there was never torn down.</summary>
    public static SetupJournal Begin(string stateDirectory, TimeProvider time)
    {
        if (File.Exists(MtlsManifestFile.PathIn(stateDirectory)))
        {
            throw new BadInputException($"{stateDirectory}: holds an earlier mtls setup that was not torn down; run 'pipeline-pki mtls teardown --state {stateDirectory}' first.");
        }

        var created = !Directory.Exists(stateDirectory);
        AtomicFile.CreatePrivateDirectory(stateDirectory);
        var journal = new SetupJournal(stateDirectory, new MtlsManifest(1, time.GetUtcNow(), false, created, [], []));
        journal.Save();
        return journal;
    }

    /// <summary>Creates <paramref name="directory"/> and any missing parents, each recorded before it is made.</summary>
    public void EnsureDirectory(string directory, string target, bool isPrivate = false)
    {
        var missing = new Stack<string>();
        for (var current = Path.GetFullPath(directory); !Directory.Exists(current); current = Path.GetDirectoryName(current)!)
        {
            if (File.Exists(current))
            {
                throw new BadInputException($"{current}: is a file where a directory is needed; move it away or choose another location.");
            }

            missing.Push(current);
            if (Path.GetDirectoryName(current) is null)
            {
                break;
            }
        }

        while (missing.Count > 0)
        {
            var path = missing.Pop();
            Record(new ManifestEntry("directory", path, target, false, null, null, false));
            try
            {
                if (isPrivate && !OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
                else
                {
                    Directory.CreateDirectory(path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BadInputException($"{path}: cannot create directory ({e.Message}); make it writable or choose another location.", e);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/>. A file that existed keeps its mode
    /// (a 0600 file stays 0600); a new one is 0600 when <paramref name="secret"/>, else 0644.
    /// </summary>
    public void WriteFile(string path, ReadOnlySpan<byte> content, bool secret, string target)
    {
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new BadInputException($"{fullPath}: is a directory where a file is needed; move it away or choose another location.");
        }

        EnsureDirectory(Path.GetDirectoryName(fullPath)!, target);
        UnixFileMode mode;
        if (File.Exists(fullPath))
        {
            mode = OperatingSystem.IsWindows() ? Public : File.GetUnixFileMode(fullPath);
            if (!recordedPaths.Contains(fullPath))
            {
                byte[] previous;
                try
                {
                    previous = File.ReadAllBytes(fullPath);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new BadInputException($"{fullPath}: cannot read it to keep a copy ({e.Message}); make it readable or choose another location.", e);
                }

                Record(new ManifestEntry("file", fullPath, target, true, Convert.ToBase64String(previous), (int)mode, secret));
            }

            if (secret)
            {
                mode &= OwnerOnly | UnixFileMode.UserExecute;
            }
        }
        else
        {
            mode = secret ? OwnerOnly : Public;
            Record(new ManifestEntry("file", fullPath, target, false, null, null, secret));
        }

        AtomicFile.Write(fullPath, content, mode);
    }

    public void WriteText(string path, string content, bool secret, string target) =>
        WriteFile(path, System.Text.Encoding.UTF8.GetBytes(content), secret, target);

    /// <summary>Records a variable the caller should export; a later value for the same name replaces the earlier one, keeping the original previous value.</summary>
    public void SetVariable(string name, string value, string? previousValue)
    {
        var index = manifest.Environment.FindIndex(v => v.Name == name);
        if (index >= 0)
        {
            manifest.Environment[index] = manifest.Environment[index] with { Value = value };
        }
        else
        {
            manifest.Environment.Add(new ManifestVariable(name, value, previousValue));
        }

        Save();
    }

    public void Complete()
    {
        var completed = manifest with { Completed = true };
        MtlsManifestFile.Save(StateDirectory, completed);
    }

    /// <summary>Reverses everything recorded so far (setup failed); the state directory is left as it was found.</summary>
    public MtlsTeardownResult Rollback() => MtlsTeardown.Reverse(StateDirectory, manifest);

    private void Record(ManifestEntry entry)
    {
        manifest.Entries.Add(entry);
        recordedPaths.Add(entry.Path);
        Save();
    }

    private void Save() => MtlsManifestFile.Save(StateDirectory, manifest);
}
