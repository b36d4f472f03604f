import Foundation
import Yams

struct SpecKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let entries: [(name: String, keyNode: Node, value: Node)]
    let codingPath: [any CodingKey]
    let budget: DecodingBudget
    /// Where each name first appears in `entries`, so that decoding a mapping of n entries
    /// (a `[String: String]` looks up every key) costs O(n), not O(n²).
    private let positions: [String: Int]

    init(entries: [(name: String, keyNode: Node, value: Node)], codingPath: [any CodingKey], budget: DecodingBudget) {
        self.entries = entries
        self.codingPath = codingPath
        self.budget = budget
        positions = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.name) } }

    func contains(_ key: Key) -> Bool { value(for: key) != nil }

    private func value(for key: Key) -> Node? {
        positions[key.stringValue].map { entries[$0].value }
    }

    private func require(_ key: Key) throws -> Node {
        guard let node = value(for: key) else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "the required field '\(key.stringValue)' is missing")
            )
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let node = value(for: key) else { return true }
        if case .scalar(let scalar) = node { return scalarKind(scalar) == .null }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeNode(type, node: require(key), codingPath: codingPath + [key], budget: budget)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try SpecNodeDecoder(node: require(key), codingPath: codingPath + [key], budget: budget)
            .container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try SpecNodeDecoder(node: require(key), codingPath: codingPath + [key], budget: budget).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let key = Key(stringValue: "super") else {
            throw DecodingError.keyNotFound(
                StringCodingKey("super"),
                .init(codingPath: codingPath, debugDescription: "this mapping has no 'super' field")
            )
        }
        return try superDecoder(forKey: key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        SpecNodeDecoder(node: try require(key), codingPath: codingPath + [key], budget: budget)
    }
}

struct SpecUnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [Node]
    let codingPath: [any CodingKey]
    let budget: DecodingBudget
    private(set) var currentIndex = 0

    init(elements: [Node], codingPath: [any CodingKey], budget: DecodingBudget) {
        self.elements = elements
        self.codingPath = codingPath
        self.budget = budget
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private var currentPath: [any CodingKey] { codingPath + [IndexCodingKey(currentIndex)] }

    private func current() throws -> Node {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self,
                .init(codingPath: currentPath, debugDescription: "the list has only \(elements.count) entries")
            )
        }
        return elements[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard case .scalar(let scalar) = try current(), scalarKind(scalar) == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try decodeNode(type, node: current(), codingPath: currentPath, budget: budget)
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let container = try SpecNodeDecoder(node: current(), codingPath: currentPath, budget: budget)
            .container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try SpecNodeDecoder(node: current(), codingPath: currentPath, budget: budget)
            .unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = SpecNodeDecoder(node: try current(), codingPath: currentPath, budget: budget)
        currentIndex += 1
        return decoder
    }
}

struct SpecSingleValueContainer: SingleValueDecodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    let budget: DecodingBudget

    func decodeNil() -> Bool {
        if case .scalar(let scalar) = node { return scalarKind(scalar) == .null }
        return false
    }

    /// Any scalar but null reads as its text as written, so `PORT: 8080` in `env` stays "8080".
    func decode(_ type: String.Type) throws -> String {
        guard case .scalar(let scalar) = node, scalarKind(scalar) != .null else {
            throw mismatch(type, expected: "a string")
        }
        return scalar.string
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .scalar(let scalar) = node, scalarKind(scalar) == .bool, let value = Bool.construct(from: scalar)
        else {
            throw mismatch(type, expected: "true or false")
        }
        return value
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode(_ type: Double.Type) throws -> Double {
        guard case .scalar(let scalar) = node, [.int, .float].contains(scalarKind(scalar)),
            let value = Double.construct(from: scalar)
        else {
            throw mismatch(type, expected: "a number")
        }
        return value
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Date.self {
            guard case .scalar(let scalar) = node, let date = Date.construct(from: scalar) as? T else {
                throw mismatch(type, expected: "a timestamp such as 2026-11-29T07:30:00Z")
            }
            return date
        }
        return try T(from: SpecNodeDecoder(node: node, codingPath: codingPath, budget: budget))
    }

    /// Only plain decimal integers: YAML 1.1's octal, hexadecimal and sexagesimal forms
    /// (`010`, `0x1F`, `1:30`) are almost always mistakes in a spec file.
    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .scalar(let scalar) = node, scalarKind(scalar) == .int else {
            throw mismatch(type, expected: "an integer")
        }
        let text = scalar.string
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        let isDecimal = !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit) && (digits == "0" || digits.first != "0")
        guard isDecimal else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "expected a decimal integer, found \(quoted(text))")
            )
        }
        guard let value = T(text.hasPrefix("+") ? String(digits) : text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath,
                    debugDescription: "\(text) is out of range; allowed: \(T.min) to \(T.max)"
                )
            )
        }
        return value
    }

    private func mismatch(_ type: Any.Type, expected: String) -> DecodingError {
        DecodingError.typeMismatch(
            type,
            .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(describe(node))")
        )
    }
}

/// A coding key for a list index, shown as `[2]` in key paths.
struct IndexCodingKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// The message for a field a model does not have, with a suggestion when one is close.
enum UnknownField {
    static func message(_ name: String, allowed: [String]) -> String {
        var message = "unknown field \(quoted(name)); allowed: \(allowed.joined(separator: ", "))"
        // Only short names get a suggestion: the edit distance costs their length times each candidate's.
        if name.utf8.count <= 64, let suggestion = closest(to: name, in: allowed) {
            message += " (did you mean '\(suggestion)'?)"
        }
        return message
    }

    private static func closest(to name: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, name.count / 3) else { return nil }
        return best.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8)
        let b = Array(b.utf8)
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
