import Foundation
import Yams

/// A `Decoder` over a composed YAML node tree that is strict where Tyger spec files are:
/// an unknown field is an error when the model lists its fields (`CodingKeys: CaseIterable`),
/// a quoted `"3"` is not an integer, and a list is not a string.
///
/// It throws `DecodingError`s whose coding paths ``SpecDocument`` turns into file locations.
struct SpecNodeDecoder: Decoder {
    let node: Node
    let codingPath: [any CodingKey]
    let budget: DecodingBudget
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: Node, codingPath: [any CodingKey] = [], budget: DecodingBudget) {
        self.node = node
        self.codingPath = codingPath
        self.budget = budget
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try checkTag(of: node, codingPath: codingPath)
        guard case .mapping(let mapping) = node else {
            throw mismatch(Key.self, expected: "a mapping of fields")
        }
        try budget.spend(mapping.count)
        let entries = try mergedEntries(of: mapping, codingPath: codingPath, budget: budget)
        if let allowed = allowedFieldNames(of: Key.self) {
            for entry in entries where !allowed.contains(entry.name) {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: codingPath + [StringCodingKey(entry.name)],
                        debugDescription: UnknownField.message(entry.name, allowed: allowed)
                    )
                )
            }
        }
        return KeyedDecodingContainer(SpecKeyedContainer<Key>(entries: entries, codingPath: codingPath, budget: budget))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkTag(of: node, codingPath: codingPath)
        guard case .sequence(let sequence) = node else {
            throw mismatch([Any].self, expected: "a list")
        }
        try budget.spend(sequence.count)
        return SpecUnkeyedContainer(elements: Array(sequence), codingPath: codingPath, budget: budget)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        try checkTag(of: node, codingPath: codingPath)
        return SpecSingleValueContainer(node: node, codingPath: codingPath, budget: budget)
    }

    private func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            type,
            .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(describe(node))")
        )
    }
}

/// The fields of a mapping, with YAML merge keys applied: `<<: *base` (or a list of mappings)
/// adds the fields of the merged mappings that the mapping does not set itself; an earlier
/// mapping in a list wins over a later one.
func mergedEntries(of mapping: Node.Mapping, codingPath: [any CodingKey], budget: DecodingBudget) throws
    -> [(name: String, keyNode: Node, value: Node)]
{
    var entries: [(name: String, keyNode: Node, value: Node)] = []
    var merged: [Node] = []
    entries.reserveCapacity(mapping.count)
    for (keyNode, value) in mapping {
        guard case .scalar(let scalar) = keyNode else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "a field name must be plain text, found \(describe(keyNode))")
            )
        }
        let keyPath = codingPath + [StringCodingKey(scalar.string)]
        if scalar.string == "<<", scalar.style == .plain {
            switch value {
            case .mapping: merged.append(value)
            case .sequence(let sources) where sources.allSatisfy({ if case .mapping = $0 { true } else { false } }):
                merged += sources
            default:
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: keyPath,
                        debugDescription: "a merge key ('<<') takes a mapping or a list of mappings, found \(describe(value))"))
            }
            continue
        }
        try checkTag(of: keyNode, codingPath: keyPath)
        entries.append((scalar.string, keyNode, value))
    }
    var names = Set(entries.map(\.name))
    for source in merged {
        guard case .mapping(let fields) = source else { continue }
        try budget.spend(fields.count)
        for entry in try mergedEntries(of: fields, codingPath: codingPath, budget: budget) where names.insert(entry.name).inserted {
            entries.append(entry)
        }
    }
    return entries
}

/// Decodes a value from a node, handling the types whose YAML form differs from their `Codable` form.
func decodeNode<T: Decodable>(_ type: T.Type, node: Node, codingPath: [any CodingKey], budget: DecodingBudget)
    throws -> T
{
    try checkTag(of: node, codingPath: codingPath)
    let container = SpecSingleValueContainer(node: node, codingPath: codingPath, budget: budget)
    if T.self == Date.self, let date = try container.decode(Date.self) as? T {
        return date
    }
    return try T(from: SpecNodeDecoder(node: node, codingPath: codingPath, budget: budget))
}

/// The YAML tags a spec may use: none, or the core schema's own. Any other tag (`!!python/object`,
/// `!secret`, `!!binary`, `!!set`) asks for a type spec files do not have, so it is an error
/// rather than silently read as text.
private let allowedTags: Set<String> = [
    "", "!", Tag.Name.str.rawValue, Tag.Name.int.rawValue, Tag.Name.float.rawValue, Tag.Name.bool.rawValue,
    Tag.Name.null.rawValue, Tag.Name.seq.rawValue, Tag.Name.map.rawValue, Tag.Name.timestamp.rawValue,
    // What the default resolver makes of a plain `<<` (a merge key) or `=`.
    Tag.Name.merge.rawValue, Tag.Name.value.rawValue,
]

private func checkTag(of node: Node, codingPath: [any CodingKey]) throws {
    // The tag as written (or as already resolved), without running the resolver's regular
    // expressions again, which `Node.tag` would.
    let name: String
    switch node {
    case .scalar(let scalar): name = scalar.tag.rawValue
    case .mapping(let mapping): name = mapping.tag.rawValue
    case .sequence(let sequence): name = sequence.tag.rawValue
    case .alias: return
    }
    guard !allowedTags.contains(name) else { return }
    let corePrefix = "tag:yaml.org,2002:"
    let shown = name.hasPrefix(corePrefix) ? "!!" + name.dropFirst(corePrefix.count) : name
    throw DecodingError.dataCorrupted(
        .init(
            codingPath: codingPath,
            debugDescription: "the YAML tag \(quoted(shown)) is not allowed; allowed: no tag, or one of "
                + "!!str, !!int, !!float, !!bool, !!null, !!seq, !!map, !!timestamp"
        )
    )
}

/// The field names a model accepts, when it declares them all through `CaseIterable` coding keys.
private func allowedFieldNames<Key: CodingKey>(of type: Key.Type) -> [String]? {
    guard let iterable = type as? any (CodingKey & CaseIterable).Type else { return nil }
    return fieldNames(of: iterable)
}

private func fieldNames<Key: CodingKey & CaseIterable>(of type: Key.Type) -> [String] {
    Key.allCases.map(\.stringValue)
}

/// Describes a node for an error message: "the string 'abc'", "a list", "null".
func describe(_ node: Node) -> String {
    switch node {
    case .scalar(let scalar):
        switch scalarKind(scalar) {
        case .null: return "null"
        case .bool: return "the boolean \(scalar.string)"
        case .int: return "the integer \(scalar.string)"
        case .float: return "the number \(scalar.string)"
        case .string: return "the string \(quoted(scalar.string))"
        }
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    }
}


enum ScalarKind {
    case null, bool, int, float, string
}

func scalarKind(_ scalar: Node.Scalar) -> ScalarKind {
    switch Resolver.default.resolveTag(of: .scalar(scalar)) {
    case .null: .null
    case .bool: .bool
    case .int: .int
    case .float: .float
    default: .string
    }
}

/// Limits the work a single document may cause, so that alias expansion cannot make a small
/// file cost unbounded time or memory.
final class DecodingBudget {
    private var remaining: Int

    init(nodes: Int) { remaining = nodes }

    func spend(_ count: Int) throws {
        remaining -= count
        if remaining < 0 {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "the document expands to too many values (aliases?)")
            )
        }
    }
}
