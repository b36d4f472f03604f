/// A path to a value inside a spec, such as `worker.codespec.endpoints.rpc` or `job.codespec.args[2]`.
struct SpecPath: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    var components: [Component]

    init(_ components: [Component] = []) { self.components = components }
    init(arrayLiteral elements: Component...) { components = elements }

    init(codingPath: [any CodingKey]) {
        components = codingPath.map { key in
            if key is IndexCodingKey, let index = key.intValue { return .index(index) }
            return .key(key.stringValue)
        }
    }

    static func / (path: SpecPath, key: String) -> SpecPath { SpecPath(path.components + [.key(key)]) }
    static func / (path: SpecPath, index: Int) -> SpecPath { SpecPath(path.components + [.index(index)]) }
    static func + (path: SpecPath, suffix: SpecPath) -> SpecPath { SpecPath(path.components + suffix.components) }

    var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key): text += text.isEmpty ? key : ".\(key)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }
}

/// One broken rule, found by validation, at a path in the spec.
struct SpecProblem: Hashable, Sendable {
    var path: SpecPath
    var message: String

    init(_ path: SpecPath, _ message: String) {
        self.path = path
        self.message = message
    }
}

extension SpecPath.Component: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .key(value) }
}
