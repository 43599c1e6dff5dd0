using PipelinePki.Core;

namespace PipelinePki.Sources.Acme;

/// <summary>
/// Turns RFC 8555 problem documents into the product's typed failures, as one line: what the server
/// said, where, and what to do. Refusals by the CA's policy (names it will not certify, CAA, an
/// account binding it requires) are policy violations (exit 5); anything else is a remote failure
/// (exit 6).
/// </summary>
internal static class AcmeProblems
{
    public const string Prefix = "urn:ietf:params:acme:error:";

    /// <summary>Problem types that mean "the CA's rules say no", not "the exchange failed".</summary>
    private static readonly HashSet<string> PolicyTypes = new(StringComparer.Ordinal)
    {
        "rejectedIdentifier", "caa", "externalAccountRequired", "unsupportedIdentifier",
    };

    public static string ShortType(string? type) =>
        type is null ? "unknown" : type.StartsWith(Prefix, StringComparison.Ordinal) ? type[Prefix.Length..] : type;

    /// <summary>One line: "TYPE: detail [; identifier: TYPE detail …]".</summary>
    public static string Describe(AcmeProblem problem)
    {
        var text = $"{ShortType(problem.Type)}: {Flatten(problem.Detail) ?? "(no detail)"}";
        if (problem.Subproblems is { Count: > 0 } subproblems)
        {
            text += " (" + string.Join("; ", subproblems.Select(s =>
                $"{s.Identifier?.Value ?? "?"}: {ShortType(s.Type)} {Flatten(s.Detail)}".TrimEnd())) + ")";
        }

        return text;
    }

    public static PipelinePkiException ToException(AcmeProblem problem, string operation, string url, int httpStatus)
    {
        var type = ShortType(problem.Type);
        var line = $"the ACME server refused {operation} ({Describe(problem)}, HTTP {httpStatus}), {url}";
        if (IsPolicy(problem, operation))
        {
            return new PolicyViolationException($"acme-{type}", line + $"; {Advice(type)}");
        }

        return new RemoteFailureException(url, line + $"; {Advice(type)}");
    }

    private static bool IsPolicy(AcmeProblem problem, string operation)
    {
        var type = ShortType(problem.Type);
        if (PolicyTypes.Contains(type) || problem.Subproblems?.Any(s => PolicyTypes.Contains(ShortType(s.Type))) == true)
        {
            return true;
        }

        // "unauthorized" is also what a bad signature earns; only an account or order the CA's rules
        // turn down (EAB MAC that does not verify, a name the account may not have) is policy.
        return type == "unauthorized" && operation is "newAccount" or "newOrder";
    }

    private static string Advice(string type) => type switch
    {
        "rejectedIdentifier" or "unsupportedIdentifier" => "ask only for names this CA issues for",
        "caa" => "the domain's CAA records do not allow this CA; fix CAA or use another CA",
        "externalAccountRequired" => "this CA needs an external account binding: pass --eab-kid and --eab-hmac-env",
        "unauthorized" => "check the EAB key id and MAC key, or the account's rights for these names",
        "accountDoesNotExist" => "the account is unknown to this CA; remove the account under --state to register a new one",
        "rateLimited" => "the CA's rate limit was hit; retry later",
        "badCSR" => "the CSR was refused; check --key-type against what the CA accepts",
        "connection" or "dns" or "incorrectResponse" or "tls" =>
            "the CA could not validate the challenge; check that --http-port is reachable from the CA or the DNS hook published the record",
        _ => "rerun with --verbose for the exchange",
    };

    private static string? Flatten(string? text) =>
        text is null ? null : string.Join(' ', text.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
