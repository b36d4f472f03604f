public import Foundation

/// Writes models as JSON the way Tyger's CLI prints them: keys in the order each model
/// encodes them (Tyger's field order for ``Run`` and ``Codespec``), map keys sorted,
/// `"key": value`, two spaces per level, dates in RFC 3339 with milliseconds. Foundation's `JSONEncoder` sorts
/// keys or leaves their order unspecified, which scripts comparing output with Tyger's
/// notice.
///
/// ```swift
/// print(try TygerJSON.string(run))                   // indented, as `tyger run show` prints it
/// print(try TygerJSON.string(run, indented: false))  // one line, as `tyger run watch` prints it
/// ```
public enum TygerJSON {
    /// The JSON text of `value`.
    ///
    /// - Throws: `EncodingError` when the value cannot be written (a non-finite number).
    public static func string(_ value: some Encodable, indented: Bool = true) throws -> String {
        let root = Slot()
        try encode(value, into: root, codingPath: [])
        var output = ""
        write(root.value, indented: indented, depth: 0, to: &output)
        return output
    }

    private static func write(_ value: Value, indented: Bool, depth: Int, to output: inout String) {
        func newline(_ level: Int) {
            guard indented else { return }
            output += "\n" + String(repeating: "  ", count: level)
        }
        switch value {
        case .null: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .number(let text): output += text
        case .string(let text): writeString(text, to: &output)
        case .array(let box):
            guard !box.elements.isEmpty else {
                output += "[]"
                return
            }
            output += "["
            for (index, element) in box.elements.enumerated() {
                if index > 0 { output += "," }
                newline(depth + 1)
                write(element.value, indented: indented, depth: depth + 1, to: &output)
            }
            newline(depth)
            output += "]"
        case .object(let box):
            guard !box.entries.isEmpty else {
                output += "{}"
                return
            }
            output += "{"
            for (index, entry) in box.entries.enumerated() {
                if index > 0 { output += "," }
                newline(depth + 1)
                writeString(entry.key, to: &output)
                output += indented ? ": " : ":"
                write(entry.value.value, indented: indented, depth: depth + 1, to: &output)
            }
            newline(depth)
            output += "}"
        }
    }

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped.
    static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    // MARK: - The encoder

    /// A JSON value whose objects keep their keys in the order they were written. Arrays and
    /// objects are boxes, so a container can go on filling one after handing it to its parent.
    fileprivate enum Value {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case array(ArrayBox)
        case object(ObjectBox)
    }

    fileprivate final class Slot {
        var value: Value = .null
    }

    fileprivate final class ArrayBox {
        var elements: [Slot] = []
    }

    fileprivate final class ObjectBox {
        var entries: [(key: String, value: Slot)] = []

        /// The slot for `key`, replacing an earlier value of the same key in place.
        func slot(for key: String) -> Slot {
            if let existing = entries.first(where: { $0.key == key }) { return existing.value }
            let slot = Slot()
            entries.append((key, slot))
            return slot
        }
    }

    fileprivate final class OrderedEncoder: Encoder {
        let codingPath: [any CodingKey]
        let userInfo: [CodingUserInfoKey: Any] = [:]
        let storage: Slot

        init(codingPath: [any CodingKey], storage: Slot = Slot()) {
            self.codingPath = codingPath
            self.storage = storage
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let box: ObjectBox
            if case .object(let existing) = storage.value {
                box = existing
            } else {
                box = ObjectBox()
                storage.value = .object(box)
            }
            return KeyedEncodingContainer(KeyedContainer<Key>(box: box, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            let box: ArrayBox
            if case .array(let existing) = storage.value {
                box = existing
            } else {
                box = ArrayBox()
                storage.value = .array(box)
            }
            return UnkeyedContainer(box: box, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleContainer(slot: storage, codingPath: codingPath)
        }
    }

    /// Encodes one value into `slot`: scalars directly, dates as RFC 3339 text, anything else
    /// through its own `encode(to:)`.
    fileprivate static func encode(_ value: some Encodable, into slot: Slot, codingPath: [any CodingKey]) throws {
        switch value {
        case let date as Date:
            slot.value = .string(MillisecondTimestamp.text(date))
        case let url as URL:
            slot.value = .string(url.absoluteString)
        case let decimal as Decimal:
            slot.value = .number("\(decimal)")
        case let map as [String: any Encodable]:
            // Maps are data, not fields: sorted by key, as Go writes them.
            let box = ObjectBox()
            slot.value = .object(box)
            for (key, element) in map.sorted(by: { $0.key < $1.key }) {
                try encode(element, into: box.slot(for: key), codingPath: codingPath + [TextKey(key)])
            }
        default:
            try value.encode(to: OrderedEncoder(codingPath: codingPath, storage: slot))
        }
    }

    fileprivate static func number(_ value: Double, codingPath: [any CodingKey]) throws -> Value {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath, debugDescription: "JSON has no representation of \(value)"))
        }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number("\(value)")
    }

    fileprivate struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: ObjectBox
        let codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { box.slot(for: key.stringValue).value = .null }
        mutating func encode(_ value: Bool, forKey key: Key) throws { box.slot(for: key.stringValue).value = .bool(value) }
        mutating func encode(_ value: String, forKey key: Key) throws {
            box.slot(for: key.stringValue).value = .string(value)
        }
        mutating func encode(_ value: Double, forKey key: Key) throws {
            box.slot(for: key.stringValue).value = try TygerJSON.number(value, codingPath: codingPath + [key])
        }
        mutating func encode(_ value: Float, forKey key: Key) throws {
            box.slot(for: key.stringValue).value = try TygerJSON.number(Double(value), codingPath: codingPath + [key])
        }
        mutating func encode(_ value: Int, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: Int8, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: Int16, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: Int32, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: Int64, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: UInt, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { box.slot(for: key.stringValue).value = .number("\(value)") }
        mutating func encode(_ value: some Encodable, forKey key: Key) throws {
            try TygerJSON.encode(value, into: box.slot(for: key.stringValue), codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            OrderedEncoder(codingPath: codingPath + [key], storage: box.slot(for: key.stringValue)).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            OrderedEncoder(codingPath: codingPath + [key], storage: box.slot(for: key.stringValue)).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            OrderedEncoder(codingPath: codingPath, storage: box.slot(for: "super"))
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            OrderedEncoder(codingPath: codingPath + [key], storage: box.slot(for: key.stringValue))
        }
    }

    fileprivate struct UnkeyedContainer: UnkeyedEncodingContainer {
        let box: ArrayBox
        let codingPath: [any CodingKey]
        var count: Int { box.elements.count }

        private func append(_ value: Value) {
            let slot = Slot()
            slot.value = value
            box.elements.append(slot)
        }

        private var nextPath: [any CodingKey] { codingPath + [IndexKey(intValue: count)] }

        mutating func encodeNil() throws { append(.null) }
        mutating func encode(_ value: Bool) throws { append(.bool(value)) }
        mutating func encode(_ value: String) throws { append(.string(value)) }
        mutating func encode(_ value: Double) throws { append(try TygerJSON.number(value, codingPath: nextPath)) }
        mutating func encode(_ value: Float) throws { append(try TygerJSON.number(Double(value), codingPath: nextPath)) }
        mutating func encode(_ value: Int) throws { append(.number("\(value)")) }
        mutating func encode(_ value: Int8) throws { append(.number("\(value)")) }
        mutating func encode(_ value: Int16) throws { append(.number("\(value)")) }
        mutating func encode(_ value: Int32) throws { append(.number("\(value)")) }
        mutating func encode(_ value: Int64) throws { append(.number("\(value)")) }
        mutating func encode(_ value: UInt) throws { append(.number("\(value)")) }
        mutating func encode(_ value: UInt8) throws { append(.number("\(value)")) }
        mutating func encode(_ value: UInt16) throws { append(.number("\(value)")) }
        mutating func encode(_ value: UInt32) throws { append(.number("\(value)")) }
        mutating func encode(_ value: UInt64) throws { append(.number("\(value)")) }
        mutating func encode(_ value: some Encodable) throws {
            let slot = Slot()
            let path = nextPath
            box.elements.append(slot)
            try TygerJSON.encode(value, into: slot, codingPath: path)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let slot = Slot()
            let path = nextPath
            box.elements.append(slot)
            return OrderedEncoder(codingPath: path, storage: slot).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let slot = Slot()
            let path = nextPath
            box.elements.append(slot)
            return OrderedEncoder(codingPath: path, storage: slot).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let slot = Slot()
            let path = nextPath
            box.elements.append(slot)
            return OrderedEncoder(codingPath: path, storage: slot)
        }
    }

    fileprivate struct SingleContainer: SingleValueEncodingContainer {
        let slot: Slot
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { slot.value = .null }
        mutating func encode(_ value: Bool) throws { slot.value = .bool(value) }
        mutating func encode(_ value: String) throws { slot.value = .string(value) }
        mutating func encode(_ value: Double) throws { slot.value = try TygerJSON.number(value, codingPath: codingPath) }
        mutating func encode(_ value: Float) throws { slot.value = try TygerJSON.number(Double(value), codingPath: codingPath) }
        mutating func encode(_ value: Int) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: Int8) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: Int16) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: Int32) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: Int64) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: UInt) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: UInt8) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: UInt16) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: UInt32) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: UInt64) throws { slot.value = .number("\(value)") }
        mutating func encode(_ value: some Encodable) throws {
            try TygerJSON.encode(value, into: slot, codingPath: codingPath)
        }
    }

    fileprivate struct TextKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ text: String) { stringValue = text }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    fileprivate struct IndexKey: CodingKey {
        var stringValue: String { "Index \(intValue ?? 0)" }
        var intValue: Int?
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }
}
