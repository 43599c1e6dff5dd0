namespace PipelinePki.Core.Validation;

/// <summary>
/// The valid_policy_tree of RFC 5280 §6.1.2 (a) and the operations §6.1.3 (d), §6.1.4 (b) and
/// §6.1.5 (g) perform on it. Qualifiers are not kept: nothing here acts on them.
/// </summary>
internal sealed class PolicyTree
{
    private readonly List<List<Node>> levels = [];

    private PolicyTree()
    {
        levels.Add([new Node(PolicyOptions.AnyPolicy, [PolicyOptions.AnyPolicy], null)]);
    }

    public static PolicyTree Create() => new();

    public int Depth => levels.Count - 1;

    private IReadOnlyList<Node> At(int depth) => depth < levels.Count ? levels[depth] : [];

    /// <summary>§6.1.3 (d) (1)–(3) for certificate i with its policy OIDs.</summary>
    /// <returns>false when the tree became empty (NULL).</returns>
    public bool ProcessCertificatePolicies(int i, IReadOnlyList<string> policies, bool anyPolicyAllowed)
    {
        var parents = At(i - 1);
        var level = new List<Node>();
        levels.Add(level);

        // (1) each specific policy hangs under the nodes that expect it, else under anyPolicy.
        foreach (var policy in policies.Where(p => p != PolicyOptions.AnyPolicy).Distinct())
        {
            var matched = false;
            foreach (var parent in parents.Where(p => p.Expected.Contains(policy)))
            {
                AddChild(parent, policy, [policy], level);
                matched = true;
            }

            if (!matched)
            {
                foreach (var parent in parents.Where(p => p.Policy == PolicyOptions.AnyPolicy))
                {
                    AddChild(parent, policy, [policy], level);
                }
            }
        }

        // (2) anyPolicy in the certificate extends every expected policy not yet present as a child.
        if (policies.Contains(PolicyOptions.AnyPolicy) && anyPolicyAllowed)
        {
            foreach (var parent in parents)
            {
                foreach (var expected in parent.Expected.ToList())
                {
                    if (!parent.Children.Any(c => c.Policy == expected))
                    {
                        AddChild(parent, expected, [expected], level);
                    }
                }
            }
        }

        // (3) prune branches that did not grow to depth i.
        PruneChildless(i - 1);
        return level.Count > 0;
    }

    /// <summary>§6.1.4 (b): apply the policy mappings of certificate i (which is not the last one).</summary>
    /// <returns>false when the tree became empty (NULL).</returns>
    public bool ApplyMappings(int i, IReadOnlyList<(string IssuerDomain, string SubjectDomain)> mappings, bool mappingAllowed)
    {
        foreach (var group in mappings.GroupBy(m => m.IssuerDomain))
        {
            var issuerPolicy = group.Key;
            var subjectPolicies = group.Select(m => m.SubjectDomain).Distinct().ToList();
            var level = levels[i];
            if (mappingAllowed)
            {
                var nodes = level.Where(n => n.Policy == issuerPolicy).ToList();
                if (nodes.Count > 0)
                {
                    foreach (var node in nodes)
                    {
                        node.Expected = subjectPolicies;
                    }
                }
                else if (level.FirstOrDefault(n => n.Policy == PolicyOptions.AnyPolicy) is { Parent: { } parent })
                {
                    // A sibling of the anyPolicy node stands for the mapped issuer policy.
                    AddChild(parent, issuerPolicy, subjectPolicies, level);
                }
            }
            else
            {
                foreach (var node in level.Where(n => n.Policy == issuerPolicy).ToList())
                {
                    Remove(node, i);
                }

                PruneChildless(i - 1);
            }
        }

        return levels[i].Count > 0;
    }

    /// <summary>§6.1.5 (g): intersect with the user-initial-policy-set; returns the authorities-and-user-constrained policies at depth n.</summary>
    public IReadOnlyList<string> Intersect(int n, IReadOnlyList<string> initialPolicies)
    {
        if (initialPolicies.Contains(PolicyOptions.AnyPolicy))
        {
            return At(n).Select(node => node.Policy).Distinct().ToList();
        }

        var user = initialPolicies.ToHashSet();

        // (1)-(2) the nodes directly under an anyPolicy node: drop those the user did not ask for.
        var boundary = levels.SelectMany((level, depth) => level.Select(node => (node, depth)))
            .Where(x => x.node.Parent?.Policy == PolicyOptions.AnyPolicy)
            .ToList();
        foreach (var (node, depth) in boundary)
        {
            if (node.Policy != PolicyOptions.AnyPolicy && !user.Contains(node.Policy))
            {
                Remove(node, depth);
            }
        }

        // (3) an anyPolicy leaf stands for every user policy not otherwise present.
        var boundaryPolicies = boundary.Where(x => levels[x.depth].Contains(x.node)).Select(x => x.node.Policy).ToHashSet();
        foreach (var anyLeaf in At(n).Where(node => node.Policy == PolicyOptions.AnyPolicy).ToList())
        {
            foreach (var policy in user.Where(p => !boundaryPolicies.Contains(p)))
            {
                AddChild(anyLeaf.Parent!, policy, [policy], levels[n]);
            }

            Remove(anyLeaf, n);
        }

        // (4) prune nodes above depth n that have no children left.
        PruneChildless(n - 1);
        return At(n).Select(node => node.Policy).Distinct().ToList();
    }

    public bool IsEmpty(int depth) => At(depth).Count == 0;

    private static void AddChild(Node parent, string policy, IReadOnlyList<string> expected, List<Node> level)
    {
        var child = new Node(policy, expected, parent);
        parent.Children.Add(child);
        level.Add(child);
    }

    private void Remove(Node node, int depth)
    {
        foreach (var child in node.Children.ToList())
        {
            Remove(child, depth + 1);
        }

        node.Parent?.Children.Remove(node);
        if (depth < levels.Count)
        {
            levels[depth].Remove(node);
        }
    }

    private void PruneChildless(int fromDepth)
    {
        for (var depth = fromDepth; depth >= 0; depth--)
        {
            foreach (var node in levels[depth].Where(n => n.Children.Count == 0).ToList())
            {
                Remove(node, depth);
            }
        }
    }

    private sealed class Node(string policy, IReadOnlyList<string> expected, Node? parent)
    {
        public string Policy { get; } = policy;

        public IReadOnlyList<string> Expected { get; set; } = expected;

        public Node? Parent { get; } = parent;

        public List<Node> Children { get; } = [];
    }
}
