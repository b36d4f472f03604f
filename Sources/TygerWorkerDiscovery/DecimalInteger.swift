/// Strict parsing of the unsigned decimal integers found in ports and replica indexes.
///
/// Stricter than `Int(_:)`, which accepts a leading `+` or `-`: a port of `+80` in the environment
/// is a platform bug worth reporting, not something to guess about.
enum DecimalInteger {
    enum Outcome: Equatable {
        case value(Int)
        case notDecimal
        case leadingZero
        case tooLarge
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maximum: Int) -> Outcome {
        guard !bytes.isEmpty else { return .notDecimal }
        var value = 0
        var tooLarge = false
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return .notDecimal }
            // Keep scanning once too large, so "99999999999x" is still reported as junk.
            guard !tooLarge else { continue }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            value = sum
            tooLarge = overflow1 || overflow2 || sum > maximum
        }
        if bytes.count > 1, bytes[0] == UInt8(ascii: "0") { return .leadingZero }
        return tooLarge ? .tooLarge : .value(value)
    }

    static func parse(_ text: String, maximum: Int) -> Outcome {
        var text = text
        return text.withUTF8 { parse($0, maximum: maximum) }
    }
}
