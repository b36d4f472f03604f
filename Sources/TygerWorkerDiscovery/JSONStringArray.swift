/// A parsed JSON array of strings (RFC 8259), and the strict parser that produces it.
///
/// Only the one shape the platform writes is accepted: an array whose elements are all strings,
/// surrounded by optional JSON whitespace. Anything else is rejected with the byte offset of the
/// first problem, because a half-understood peer list is worse than a loud failure.
///
/// The decoded elements are stored back to back in a single byte buffer so that parsing tens of
/// thousands of addresses costs two allocations, and callers can split `host:port` on bytes
/// before deciding which pieces deserve a `String`.
struct JSONStringArray: Sendable {
    /// Why the input is not a JSON array of strings.
    struct SyntaxError: Error, Hashable, Sendable {
        /// Zero-based byte offset into the input where the problem was detected.
        var offset: Int
        /// What was expected and what was found, for example `expected ',' or ']' but found 'x'`.
        var reason: String
    }

    /// Decoded UTF-8 of every element, concatenated.
    private var storage: [UInt8] = []
    /// `ends[i]` is the end of element `i` in `storage`; element `i` starts at `ends[i - 1]` (or 0).
    private var ends: [Int] = []

    /// The number of elements.
    var count: Int { ends.count }

    /// Parses `input`, which must be an entire JSON text.
    init(parsing input: UnsafeBufferPointer<UInt8>) throws(SyntaxError) {
        // Decoded strings are never longer than their JSON spelling.
        storage.reserveCapacity(input.count)
        var parser = Parser(input: input)
        try parser.parseArray(into: &self)
    }

    /// Parses a JSON text held in a `String`.
    init(parsing text: String) throws(SyntaxError) {
        var text = text
        // `withUTF8` is free for native strings and the typed error must escape the closure,
        // which `withUTF8` (untyped `rethrows`) cannot carry, hence the `Result`.
        let result = text.withUTF8 { bytes in
            Result { () throws(SyntaxError) in try JSONStringArray(parsing: bytes) }
        }
        self = try result.get()
    }

    /// Calls `body` with each element's UTF-8 bytes and index, in array order.
    ///
    /// The buffer is only valid during the call.
    func forEach<E: Error>(_ body: (_ index: Int, _ utf8: UnsafeBufferPointer<UInt8>) throws(E) -> Void) throws(E) {
        try storage.withUnsafeBufferPointer { (all) throws(E) in
            var start = 0
            for index in ends.indices {
                let end = ends[index]
                try body(index, UnsafeBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    /// The elements as strings.
    var strings: [String] {
        var result: [String] = []
        result.reserveCapacity(count)
        forEach { _, utf8 in result.append(String(decoding: utf8, as: UTF8.self)) }
        return result
    }

    fileprivate mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        storage.append(contentsOf: bytes)
    }

    fileprivate mutating func append(scalar: UInt32) {
        // Encode by hand: going through `Unicode.Scalar` and `UTF8.encode` is slower for no benefit.
        switch scalar {
        case 0..<0x80:
            storage.append(UInt8(scalar))
        case 0x80..<0x800:
            storage.append(0xC0 | UInt8(scalar >> 6))
            storage.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            storage.append(0xE0 | UInt8(scalar >> 12))
            storage.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            storage.append(0x80 | UInt8(scalar & 0x3F))
        default:
            storage.append(0xF0 | UInt8(scalar >> 18))
            storage.append(0x80 | UInt8((scalar >> 12) & 0x3F))
            storage.append(0x80 | UInt8((scalar >> 6) & 0x3F))
            storage.append(0x80 | UInt8(scalar & 0x3F))
        }
    }

    fileprivate mutating func endElement() {
        ends.append(storage.count)
    }
}

private enum ASCII {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ",")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
}

private struct Parser {
    let input: UnsafeBufferPointer<UInt8>
    var position = 0

    init(input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    mutating func parseArray(into array: inout JSONStringArray) throws(JSONStringArray.SyntaxError) {
        skipWhitespace()
        if position == 0, input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            // RFC 8259 §8.1 forbids emitting a BOM; name it, since it is invisible in a quoted value.
            throw fail("expected '[' but found a UTF-8 byte order mark (U+FEFF), which JSON does not allow")
        }
        guard position < input.count, input[position] == ASCII.openBracket else {
            throw fail("expected '[' to start a JSON array of strings but found \(describeFound())")
        }
        position += 1
        skipWhitespace()
        if position < input.count, input[position] == ASCII.closeBracket {
            position += 1
        } else {
            while true {
                guard position < input.count, input[position] == ASCII.quote else {
                    throw fail("expected a string element but found \(describeFound(whereElementExpected: true))")
                }
                try parseString(into: &array)
                skipWhitespace()
                guard position < input.count else {
                    throw fail("expected ',' or ']' after an array element but found end of input (the array is not closed)")
                }
                let byte = input[position]
                if byte == ASCII.closeBracket {
                    position += 1
                    break
                }
                guard byte == ASCII.comma else {
                    throw fail("expected ',' or ']' after an array element but found \(describeFound())")
                }
                let commaOffset = position
                position += 1
                skipWhitespace()
                if position < input.count, input[position] == ASCII.closeBracket {
                    throw JSONStringArray.SyntaxError(
                        offset: commaOffset,
                        reason: "trailing comma before ']' (JSON does not allow one)")
                }
            }
        }
        skipWhitespace()
        guard position == input.count else {
            throw fail("expected end of input after the closing ']' but found \(describeFound())")
        }
    }

    private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case ASCII.space, ASCII.tab, ASCII.newline, ASCII.carriageReturn: position += 1
            default: return
            }
        }
    }

    /// Parses the string starting at the opening quote under `position`.
    private mutating func parseString(into array: inout JSONStringArray) throws(JSONStringArray.SyntaxError) {
        let openingQuote = position
        position += 1
        var runStart = position
        while true {
            position = Self.endOfPlainRun(in: input, from: position)
            guard position < input.count else {
                throw JSONStringArray.SyntaxError(
                    offset: input.count,
                    reason: "unterminated string (opened at byte offset \(openingQuote)); expected '\"' but found end of input")
            }
            let byte = input[position]
            if byte >= 0x80 {
                // Stays part of the current run: validated bytes are copied verbatim.
                try validateUTF8Sequence()
                continue
            }
            array.append(UnsafeBufferPointer(rebasing: input[runStart..<position]))
            if byte == ASCII.quote {
                position += 1
                array.endElement()
                return
            }
            if byte == ASCII.backslash {
                try parseEscape(into: &array)
                runStart = position
                continue
            }
            throw fail(
                "control character \(hexScalar(UInt32(byte))) must be escaped inside a string (for example as \\u\(hex4(UInt32(byte))))")
        }
    }

    /// Parses the escape whose backslash is under `position`.
    private mutating func parseEscape(into array: inout JSONStringArray) throws(JSONStringArray.SyntaxError) {
        let escapeStart = position
        position += 1
        guard position < input.count else {
            throw fail("expected an escape character after '\\' but found end of input")
        }
        let decoded: UInt8
        switch input[position] {
        case ASCII.quote: decoded = ASCII.quote
        case ASCII.backslash: decoded = ASCII.backslash
        case ASCII.slash: decoded = ASCII.slash
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = ASCII.newline
        case UInt8(ascii: "r"): decoded = ASCII.carriageReturn
        case UInt8(ascii: "t"): decoded = ASCII.tab
        case UInt8(ascii: "u"):
            position += 1
            let first = try parseHex4()
            if (0xDC00...0xDFFF).contains(first) {
                throw JSONStringArray.SyntaxError(
                    offset: escapeStart,
                    reason: "unpaired low surrogate \\u\(hex4(first)); it must follow a high surrogate \\uD800-\\uDBFF")
            }
            guard (0xD800...0xDBFF).contains(first) else {
                array.append(scalar: first)
                return
            }
            guard position + 1 < input.count,
                  input[position] == ASCII.backslash,
                  input[position + 1] == UInt8(ascii: "u")
            else {
                throw JSONStringArray.SyntaxError(
                    offset: escapeStart,
                    reason: "unpaired high surrogate \\u\(hex4(first)); expected a low surrogate escape \\uDC00-\\uDFFF right after it")
            }
            let secondStart = position
            position += 2
            let second = try parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw JSONStringArray.SyntaxError(
                    offset: secondStart,
                    reason: "high surrogate \\u\(hex4(first)) is followed by \\u\(hex4(second)), expected a low surrogate \\uDC00-\\uDFFF")
            }
            array.append(scalar: 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
            return
        default:
            throw JSONStringArray.SyntaxError(
                offset: escapeStart,
                reason: "invalid escape character \(Quoting.character(input[position])) after '\\'; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
        position += 1
        array.append(scalar: UInt32(decoded))
    }

    private mutating func parseHex4() throws(JSONStringArray.SyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < input.count else {
                throw fail("expected 4 hexadecimal digits after '\\u' but found end of input")
            }
            let byte = input[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw fail("expected 4 hexadecimal digits after '\\u' but found \(describeFound())")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Checks the multi-byte UTF-8 sequence whose lead byte is under `position` and steps over it.
    ///
    /// Input from a Swift `String` is always valid, but bytes from a file are not, and silently
    /// turning bad bytes into U+FFFD would hide a corrupt peer list.
    private mutating func validateUTF8Sequence() throws(JSONStringArray.SyntaxError) {
        let lead = input[position]
        // Allowed range for the second byte, and total length (Unicode 15, table 3-7).
        let secondRange: ClosedRange<UInt8>
        let length: Int
        switch lead {
        case 0xC2...0xDF: secondRange = 0x80...0xBF; length = 2
        case 0xE0: secondRange = 0xA0...0xBF; length = 3
        case 0xE1...0xEC, 0xEE...0xEF: secondRange = 0x80...0xBF; length = 3
        case 0xED: secondRange = 0x80...0x9F; length = 3
        case 0xF0: secondRange = 0x90...0xBF; length = 4
        case 0xF1...0xF3: secondRange = 0x80...0xBF; length = 4
        case 0xF4: secondRange = 0x80...0x8F; length = 4
        default:
            throw fail("invalid UTF-8: byte 0x\(hex2(lead)) cannot start a character")
        }
        for index in 1..<length {
            let offset = position + index
            let range: ClosedRange<UInt8> = index == 1 ? secondRange : 0x80...0xBF
            guard offset < input.count, range.contains(input[offset]) else {
                throw JSONStringArray.SyntaxError(
                    offset: position,
                    reason: "invalid UTF-8: truncated or malformed sequence starting with byte 0x\(hex2(lead))")
            }
        }
        position += length
    }

    /// The index of the first byte at or after `start` that needs attention inside a string: a quote,
    /// a backslash, a control character or a non-ASCII byte (or `input.count` if there is none).
    ///
    /// This is where almost all parsing time goes, so it tests eight bytes at a time with the
    /// classic "has zero byte" bit tricks and only falls back to single bytes near a hit.
    private static func endOfPlainRun(in input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = input.baseAddress else { return start }
        let count = input.count
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let raw = UnsafeRawPointer(base)
        while index + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let quotes = word ^ (ones &* UInt64(ASCII.quote))
            let backslashes = word ^ (ones &* UInt64(ASCII.backslash))
            // Each term sets a byte's high bit if that byte is, respectively: a quote, a backslash,
            // below 0x20, or itself non-ASCII. Exact about *whether* a word has a hit, which is all we need.
            let hits = ((quotes &- ones) & ~quotes)
                | ((backslashes &- ones) & ~backslashes)
                | ((word &- ones &* 0x20) & ~word)
                | word
            if hits & highBits != 0 { break }
            index += 8
        }
        while index < count {
            let byte = base[index]
            if byte == ASCII.quote || byte == ASCII.backslash || byte < 0x20 || byte >= 0x80 { break }
            index += 1
        }
        return index
    }

    private func fail(_ reason: String) -> JSONStringArray.SyntaxError {
        JSONStringArray.SyntaxError(offset: position, reason: reason)
    }

    /// Names the token at `position` the way a person would, so "found a number" beats "found '1'".
    private func describeFound(whereElementExpected: Bool = false) -> String {
        guard position < input.count else { return "end of input" }
        let byte = input[position]
        guard whereElementExpected else { return Quoting.character(byte) }
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): return "a number (only strings are allowed)"
        case UInt8(ascii: "{"): return "an object (only strings are allowed)"
        case ASCII.openBracket: return "a nested array (only strings are allowed)"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "'\(Character(Unicode.Scalar(byte)))' (booleans are not allowed, only strings)"
        case UInt8(ascii: "n"): return "'n' (null is not allowed, only strings)"
        case UInt8(ascii: "'"): return "''' (JSON strings use double quotes)"
        default: return Quoting.character(byte)
        }
    }
}

private let hexDigits: [Character] = Array("0123456789ABCDEF")

private func hex2(_ byte: UInt8) -> String {
    String([hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
}

private func hex4(_ value: UInt32) -> String {
    hex2(UInt8(value >> 8 & 0xFF)) + hex2(UInt8(value & 0xFF))
}

private func hexScalar(_ value: UInt32) -> String {
    "U+" + hex4(value)
}
