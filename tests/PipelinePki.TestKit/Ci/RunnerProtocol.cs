namespace PipelinePki.TestKit.Ci;

/// <summary>
/// Reads back what a step told its CI platform, the way each platform's runner reads it: GitHub's
/// file commands, Azure's logging commands on stdout, GitLab's dotenv report.
/// </summary>
public static class RunnerProtocol
{
    /// <summary>GitHub's file-command format (GITHUB_OUTPUT/ENV/STATE): <c>name=value</c> or <c>name&lt;&lt;DELIM</c> … <c>DELIM</c>; later values win.</summary>
    public static Dictionary<string, string> ParseGitHubFile(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return values;
        }

        var lines = File.ReadAllText(path).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var heredoc = line.IndexOf("<<", StringComparison.Ordinal);
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (heredoc > 0 && (equals < 0 || heredoc < equals))
            {
                var name = line[..heredoc];
                var delimiter = line[(heredoc + 2)..];
                var body = new List<string>();
                for (i++; i < lines.Length && lines[i].TrimEnd('\r') != delimiter; i++)
                {
                    body.Add(lines[i].TrimEnd('\r'));
                }

                if (i >= lines.Length)
                {
                    throw new FormatException($"{path}: heredoc for {name} is not closed by {delimiter} (the runner would fail the step).");
                }

                values[name] = string.Join('\n', body);
            }
            else if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
            else
            {
                throw new FormatException($"{path}: '{line}' is neither name=value nor name<<DELIMITER.");
            }
        }

        return values;
    }

    /// <summary>GitHub workflow commands (<c>::name props::data</c>) among the lines of a stream, unescaped.</summary>
    public static List<WorkflowCommand> ParseWorkflowCommands(string stream)
    {
        var commands = new List<WorkflowCommand>();
        foreach (var raw in stream.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith("::", StringComparison.Ordinal))
            {
                continue;
            }

            var end = line.IndexOf("::", 2, StringComparison.Ordinal);
            var head = line[2..end];
            var space = head.IndexOf(' ', StringComparison.Ordinal);
            var name = space < 0 ? head : head[..space];
            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            if (space >= 0)
            {
                foreach (var pair in head[(space + 1)..].Split(','))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    properties[pair[..eq]] = UnescapeGitHub(pair[(eq + 1)..]);
                }
            }

            commands.Add(new WorkflowCommand(name, properties, UnescapeGitHub(line[(end + 2)..])));
        }

        return commands;
    }

    /// <summary>Azure logging commands (<c>##vso[area props]data</c>) on stdout, unescaped as the agent does.</summary>
    public static List<WorkflowCommand> ParseAzureCommands(string stdout)
    {
        var commands = new List<WorkflowCommand>();
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith("##vso[", StringComparison.Ordinal))
            {
                continue;
            }

            var close = line.IndexOf(']', StringComparison.Ordinal);
            var head = line[6..close];
            var space = head.IndexOf(' ', StringComparison.Ordinal);
            var area = space < 0 ? head : head[..space];
            var properties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (space >= 0)
            {
                foreach (var pair in head[(space + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    properties[pair[..eq]] = UnescapeAzure(pair[(eq + 1)..]);
                }
            }

            commands.Add(new WorkflowCommand(area, properties, UnescapeAzure(line[(close + 1)..])));
        }

        return commands;
    }

    /// <summary>GitLab's dotenv report: one KEY=VALUE per line.</summary>
    public static Dictionary<string, string> ParseDotenv(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (Key: l[..l.IndexOf('=', StringComparison.Ordinal)], Value: l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static string UnescapeGitHub(string value) =>
        value.Replace("%0D", "\r", StringComparison.Ordinal).Replace("%0A", "\n", StringComparison.Ordinal)
            .Replace("%3A", ":", StringComparison.Ordinal).Replace("%2C", ",", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);

    private static string UnescapeAzure(string value) =>
        value.Replace("%0D", "\r", StringComparison.Ordinal).Replace("%0A", "\n", StringComparison.Ordinal)
            .Replace("%5D", "]", StringComparison.Ordinal).Replace("%3B", ";", StringComparison.Ordinal).Replace("%AZP25", "%", StringComparison.Ordinal);
}

public sealed record WorkflowCommand(string Name, IReadOnlyDictionary<string, string> Properties, string Data);
