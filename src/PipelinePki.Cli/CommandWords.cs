namespace PipelinePki.Cli;

/// <summary>
/// The command words at the front of a command line (<c>cert verify</c> in
/// <c>pipeline-pki --ci none cert verify leaf.pem …</c>), read before parsing so that only that branch of
/// the command tree is built. A best-effort read: anything it cannot be sure of yields no words, and no
/// words means the whole tree.
/// </summary>
internal static class CommandWords
{
    /// <param name="args">The command line.</param>
    /// <param name="optionsTakingValues">Names of the root's options that consume the next token (<c>--ci VALUE</c>).</param>
    /// <param name="max">How many words to read at most.</param>
    public static IReadOnlyList<string> Leading(IReadOnlyList<string> args, IReadOnlyCollection<string> optionsTakingValues, int max)
    {
        var words = new List<string>(max);
        for (var i = 0; i < args.Count && words.Count < max; i++)
        {
            var token = args[i];
            if (token.Length == 0 || token[0] is '@' or '[' || token == "--")
            {
                // A response file or a directive can hold anything, and after "--" nothing is a command.
                return words;
            }

            if (token[0] == '-')
            {
                if (optionsTakingValues.Contains(token))
                {
                    i++;
                }

                continue;
            }

            words.Add(token);
        }

        return words;
    }
}
