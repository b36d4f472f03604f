internal import Yams
public import TygerKit

extension RenderedRun {
    /// The objects as a multi-document YAML stream, `---` before each document, in the order
    /// of ``all``: exactly what would be sent, with keys sorted as `kubectl get -o yaml`
    /// sorts them. `kubectl apply -f` accepts it.
    ///
    /// Strings that YAML 1.1 readers (kubectl's among them) take for booleans are quoted, so
    /// an environment value `y` stays a string; multi-line strings (the wait script) are
    /// written as literal blocks when YAML allows it.
    public func yaml() throws(TygerError) -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        do {
            let documents = try all.map { object in
                guard let node = try Yams.compose(yaml: try encoder.encode(object)) else {
                    throw TygerError(.backend, "the \(object.kind) encoded to an empty YAML document")
                }
                return node.quotingYAML11Booleans()
            }
            return try Yams.serialize(
                nodes: documents, width: -1, explicitStart: true, sortKeys: true, newLineScalarStyle: .literal)
        } catch {
            throw TygerError(.backend, "cannot write the run's Kubernetes objects as YAML: \(error)", underlying: error)
        }
    }
}

extension Node {
    /// YAML 1.2, which Yams follows, reads `y` and `n` as strings; YAML 1.1 (go-yaml v2, used
    /// by kubectl) reads them as booleans. Quoting them keeps them strings for both.
    /// Multi-line strings ask for the literal style; the emitter falls back to a quoted
    /// string when a block cannot represent the text exactly.
    fileprivate func quotingYAML11Booleans() -> Node {
        switch self {
        case .scalar(var scalar):
            if scalar.style == .plain || scalar.style == .any, ["y", "Y", "n", "N"].contains(scalar.string) {
                scalar.style = .singleQuoted
            } else if scalar.string.contains("\n") {
                scalar.style = .literal
            }
            return .scalar(scalar)
        case .mapping(var mapping):
            for index in mapping.indices {
                mapping[index] = (
                    mapping[index].key.quotingYAML11Booleans(), mapping[index].value.quotingYAML11Booleans()
                )
            }
            return .mapping(mapping)
        case .sequence(var sequence):
            for index in sequence.indices {
                sequence[index] = sequence[index].quotingYAML11Booleans()
            }
            return .sequence(sequence)
        case .alias:
            return self
        }
    }
}
