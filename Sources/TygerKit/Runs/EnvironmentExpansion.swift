/// Expands `$(NAME)` references the way Kubernetes does for container commands, arguments
/// and environment values, so a codespec behaves the same on every backend.
///
/// A reference to a defined variable is replaced by its value; an undefined one stays as
/// written; `$$` becomes a single `$`, so `$$(NAME)` yields the literal text `$(NAME)`.
public enum EnvironmentExpansion {
    /// Expands the references in `text` from `variables`.
    public static func expand(_ text: String, using variables: [String: String]) -> String {
        guard text.utf8.contains(UInt8(ascii: "$")) else { return text }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let afterDollar = rest.index(after: dollar)
            guard afterDollar < rest.endIndex else {
                result += "$"
                rest = rest[afterDollar...]
                break
            }
            switch rest[afterDollar] {
            case "$":
                result += "$"
                rest = rest[rest.index(after: afterDollar)...]
            case "(":
                let nameStart = rest.index(after: afterDollar)
                if let close = rest[nameStart...].firstIndex(of: ")") {
                    let name = String(rest[nameStart..<close])
                    if let value = variables[name] {
                        result += value
                    } else {
                        result += rest[dollar...close]
                    }
                    rest = rest[rest.index(after: close)...]
                } else {
                    result += rest[dollar...]
                    rest = rest[rest.endIndex...]
                }
            default:
                result += "$"
                rest = rest[afterDollar...]
            }
        }
        return result + rest
    }

    /// Builds a process environment: `base` first, then each of `entries` in order, each value
    /// expanded from the variables defined before it (Kubernetes semantics).
    public static func environment(base: [String: String], entries: [(name: String, value: String)]) -> [String: String] {
        var environment = base
        for (name, value) in entries {
            environment[name] = expand(value, using: environment)
        }
        return environment
    }
}
