/// A run's identifier: a positive integer, as Tyger numbers its runs.
///
/// Text from the outside (a command line, a file name, a label) becomes a `RunID` only
/// through ``init(parsing:)``, which accepts plain decimal digits and nothing else, so an ID
/// can safely become part of a path, an object name or a label selector.
///
/// ```swift
/// let id = try RunID(parsing: "42")
/// print(id)            // 42
/// print(id.next)       // 43
/// ```
public struct RunID: Sendable, Hashable, Comparable, Codable, LosslessStringConvertible {
    /// The number, 1 or more.
    public let value: Int

    /// The first ID a backend hands out.
    public static let first = RunID(validated: 1)

    /// Creates an ID from a number, or `nil` when it is not 1 or more.
    public init?(_ value: Int) {
        guard value >= 1 else { return nil }
        self.value = value
    }

    private init(validated value: Int) { self.value = value }

    /// Parses decimal digits, such as `42`, or returns `nil` (see ``init(parsing:)``).
    public init?(_ description: String) {
        guard let id = RunID.parse(description) else { return nil }
        self = id
    }

    /// Parses decimal digits, such as `42`.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/runNotFound`` when `text` is not a
    ///   number from 1 to 9223372036854775807 written in plain decimal digits: no run can have
    ///   such an ID.
    public init(parsing text: String) throws(TygerError) {
        guard let id = RunID.parse(text) else { throw RunID.malformed(text) }
        self = id
    }

    /// The digits-only parse, without an error: `nil` for anything but 1…`Int.max` in decimal.
    static func parse(_ text: some StringProtocol) -> RunID? {
        guard !text.isEmpty, text.utf8.count <= 19,
            text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = Int(text)
        else { return nil }
        return RunID(value)
    }

    /// The ID after this one, or `nil` when this is the largest ID there can be.
    public var next: RunID? {
        let (sum, overflow) = value.addingReportingOverflow(1)
        return overflow ? nil : RunID(validated: sum)
    }

    public var description: String { String(value) }

    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.value < rhs.value }

    /// The error for a run that cannot exist: the text is not an ID at all.
    static func malformed(_ text: String) -> TygerError {
        TygerError(
            .runNotFound,
            "The run \(quoted(text)) was not found; run IDs are whole numbers from 1 to \(Int.max), such as 42"
        )
    }

    /// The error for an ID no run has.
    public static func notFound(_ id: RunID) -> TygerError {
        TygerError(.runNotFound, "The run '\(id)' was not found")
    }

    /// Encodes as a JSON number, as Tyger does.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// Decodes a number, or a string of digits as earlier TygerKit state files hold it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self), let id = RunID(number) {
            self = id
        } else if let text = try? container.decode(String.self), let id = RunID.parse(text) {
            self = id
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a run ID is a whole number from 1 to \(Int.max)")
        }
    }
}
