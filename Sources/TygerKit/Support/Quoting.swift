/// Quotes a user's value for a message: control characters are escaped (a NUL or an escape
/// sequence must not reach a terminal raw), and very long values are shortened so messages
/// stay readable.
func quoted(_ text: String, limit: Int = 120) -> String {
    let shown = printable(String(text.prefix(limit)))
    guard text.count > limit else { return "'\(shown)'" }
    return "'\(shown)…' (\(text.utf8.count) bytes)"
}

/// `text` with control characters written as Swift escapes (`\0`, `\n`, `\u{1B}`).
func printable(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\0": result += "\\0"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case _ where isControl(scalar): result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}
