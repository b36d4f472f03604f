/// Renders user-supplied values inside error messages.
///
/// Values can be hundreds of kilobytes long and may contain control characters, so they are
/// escaped (a message must stay on one line in a log) and cut down to an excerpt, centred on the
/// interesting byte when there is one, so the message stays readable.
enum Quoting {
    /// Longest excerpt, in bytes, before a value is truncated.
    static let limit = 200

    /// `'value'`, or an excerpt with `…` marking what was cut and the total length.
    static func quote(_ text: String, around offset: Int? = nil) -> String {
        var text = text
        return text.withUTF8 { quote($0, around: offset) }
    }

    /// `'value'`, or an excerpt with `…` marking what was cut and the total length.
    static func quote(_ bytes: UnsafeBufferPointer<UInt8>, around offset: Int? = nil) -> String {
        guard bytes.count > limit else {
            return "'" + escape(bytes) + "'"
        }
        var start = 0
        if let offset, offset > limit * 3 / 4 {
            start = min(offset - limit / 2, bytes.count - limit)
        }
        var end = start + limit
        // Cut on character boundaries so the excerpt does not grow replacement characters.
        while start > 0, start < bytes.count, bytes[start] & 0xC0 == 0x80 { start += 1 }
        while end < bytes.count, end > start, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        let excerpt = escape(UnsafeBufferPointer(rebasing: bytes[start..<end]))
        let prefix = start > 0 ? "…" : ""
        let suffix = end < bytes.count ? "…" : ""
        let range = start > 0 ? "bytes \(start)..<\(end) of " : "first \(end) of "
        return "'" + prefix + excerpt + suffix + "' (\(range)\(bytes.count) bytes)"
    }

    /// One byte for a "found X" message: `'x'` when printable ASCII, otherwise its hex value.
    static func character(_ byte: UInt8) -> String {
        if byte >= 0x20, byte < 0x7F {
            return "'" + String(Character(Unicode.Scalar(byte))) + "'"
        }
        return "byte 0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }

    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        var result = ""
        result.reserveCapacity(bytes.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{0}"..."\u{1F}", "\u{7F}":
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
