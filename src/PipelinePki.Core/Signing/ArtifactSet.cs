using System.Text;
using System.Text.RegularExpressions;

namespace PipelinePki.Core.Signing;

/// <summary>
/// Turns command-line artifact arguments into files. Shells expand globs, but CI systems often
/// pass them quoted (<c>'dist/**/*.tar.gz'</c>), so <c>*</c>, <c>?</c> and <c>**</c> are expanded
/// here too. A pattern that matches nothing is an error: signing zero files silently is a bug.
/// Files a glob finds that are themselves signatures (<c>.p7s</c>, <c>.sigstore.json</c>) are skipped.
/// </summary>
public static class ArtifactSet
{
    public static IReadOnlyList<string> Expand(IEnumerable<string> arguments)
    {
        var files = new List<string>();
        foreach (var argument in arguments)
        {
            if (File.Exists(argument) || argument.IndexOfAny(['*', '?']) < 0)
            {
                files.Add(argument);
                continue;
            }

            // Signatures written by an earlier run are not artifacts: a glob never picks them up.
            var matches = Glob(argument).Where(f => !IsSignatureFile(f)).ToList();
            if (matches.Count == 0)
            {
                throw new BadInputException($"{argument}: the pattern matches no file.");
            }

            files.AddRange(matches.Order(StringComparer.Ordinal));
        }

        return files.Distinct(StringComparer.Ordinal).ToList();
    }

    public static bool IsSignatureFile(string path) =>
        path.EndsWith(".p7s", StringComparison.Ordinal) || path.EndsWith(".sigstore.json", StringComparison.Ordinal);

    private static IEnumerable<string> Glob(string pattern)
    {
        var normalized = pattern.Replace('\\', '/');
        var firstWildcard = normalized.IndexOfAny(['*', '?']);
        var lastSlashBefore = normalized.LastIndexOf('/', firstWildcard);
        var root = lastSlashBefore < 0 ? "." : normalized[..lastSlashBefore];
        if (root.Length == 0)
        {
            root = "/";
        }

        if (!Directory.Exists(root))
        {
            return [];
        }

        var regex = new Regex("^" + ToRegex(normalized[(lastSlashBefore + 1)..]) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
        return Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.None })
            .Where(f => regex.IsMatch(Path.GetRelativePath(root, f).Replace('\\', '/')))
            .Select(f => root == "." ? Path.GetRelativePath(".", f) : f);
    }

    private static string ToRegex(string glob)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" matches zero or more directories; a bare "**" anything.
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                builder.Append(slash ? "(?:.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else if (c == '*')
            {
                builder.Append("[^/]*");
            }
            else if (c == '?')
            {
                builder.Append("[^/]");
            }
            else
            {
                builder.Append(Regex.Escape(c.ToString()));
            }
        }

        return builder.ToString();
    }
}

public sealed record ManifestEntry(string Path, string Sha256);

/// <summary>
/// A checksum manifest in <c>sha256sum</c> format (<c>HEX␠␠PATH</c>, one line per file), so
/// <c>sha256sum -c</c> checks it too; the manifest itself is then signed like any artifact.
/// Paths are written relative to the manifest's directory.
/// </summary>
public static class ChecksumManifest
{
    public static async Task<IReadOnlyList<ManifestEntry>> WriteAsync(string manifestPath, IReadOnlyList<string> files, IProgress<(string File, long Bytes)>? progress, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        var entries = new List<ManifestEntry>();
        foreach (var file in files)
        {
            var fileProgress = progress is null ? null : new Progress<long>(bytes => progress.Report((file, bytes)));
            var digest = await ArtifactDigest.ComputeFileAsync(file, System.Security.Cryptography.HashAlgorithmName.SHA256, fileProgress, cancellationToken);
            var relative = Path.GetRelativePath(directory, Path.GetFullPath(file)).Replace('\\', '/');
            if (relative.Contains('\n', StringComparison.Ordinal))
            {
                throw new BadInputException($"{file}: a file name with a line break cannot go into a checksum manifest.");
            }

            entries.Add(new ManifestEntry(relative, Convert.ToHexString(digest).ToLowerInvariant()));
        }

        var text = string.Concat(entries.Select(e => $"{e.Sha256}  {e.Path}\n"));
        IO.AtomicFile.WriteText(manifestPath, text, secret: false);
        return entries;
    }

    /// <summary>Reads a manifest and checks every listed file; returns one problem per mismatching or missing file.</summary>
    public static async Task<(IReadOnlyList<ManifestEntry> Entries, IReadOnlyList<string> Problems)> CheckAsync(string manifestPath, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
        var entries = new List<ManifestEntry>();
        var problems = new List<string>();
        var lineNumber = 0;
        foreach (var line in await File.ReadAllLinesAsync(manifestPath, cancellationToken))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var match = Regex.Match(line, "^([0-9a-fA-F]{64}) [ *](.+)$", RegexOptions.None, TimeSpan.FromSeconds(1));
            if (!match.Success)
            {
                throw new BadInputException($"{manifestPath}:{lineNumber}: not a sha256sum line (expected 64 hex digits, two spaces, a path).");
            }

            var entry = new ManifestEntry(match.Groups[2].Value, match.Groups[1].Value.ToLowerInvariant());
            entries.Add(entry);
            var path = Path.Combine(directory, entry.Path);
            if (!File.Exists(path))
            {
                problems.Add($"{entry.Path}: missing");
                continue;
            }

            var digest = Convert.ToHexString(await ArtifactDigest.ComputeFileAsync(path, System.Security.Cryptography.HashAlgorithmName.SHA256, null, cancellationToken)).ToLowerInvariant();
            if (digest != entry.Sha256)
            {
                problems.Add($"{entry.Path}: checksum differs (modified after signing)");
            }
        }

        return (entries, problems);
    }
}
