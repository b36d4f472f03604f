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
        guard case .mapping(let mapping) = node else {
            throw mismatch(Key.self, expected: "a mapping of fields")
        }
        try budget.spend(mapping.count)
        var entries: [(name: String, keyNode: Node, value: Node)] = []
        entries.reserveCapacity(mapping.count)
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "a field name must be plain text, found \(describe(keyNode))")
                )
            }
            entries.append((scalar.string, keyNode, value))
        }
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
        guard case .sequence(let sequence) = node else {
            throw mismatch([Any].self, expected: "a list")
        }
        try budget.spend(sequence.count)
        return SpecUnkeyedContainer(elements: Array(sequence), codingPath: codingPath, budget: budget)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SpecSingleValueContainer(node: node, codingPath: codingPath, budget: budget)
    }

    private func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            type,
            .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(describe(node))")
        )
    }
}

/// Decodes a value from a node, handling the types whose YAML form differs from their `Codable` form.
func decodeNode<T: Decodable>(_ type: T.Type, node: Node, codingPath: [any CodingKey], budget: DecodingBudget)
    throws -> T
{
    let container = SpecSingleValueContainer(node: node, codingPath: codingPath, budget: budget)
    if T.self == Date.self, let date = try container.decode(Date.self) as? T {
        return date
    }
    return try T(from: SpecNodeDecoder(node: node, codingPath: codingPath, budget: budget))
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

/// Quotes a user's value for a message, shortening very long ones so messages stay readable.
func quoted(_ text: String, limit: Int = 120) -> String {
    guard text.count > limit else { return "'\(text)'" }
    return "'\(text.prefix(limit))…' (\(text.utf8.count) bytes)"
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
