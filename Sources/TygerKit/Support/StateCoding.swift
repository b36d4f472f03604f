public import Foundation

extension JSONEncoder {
    /// How TygerKit writes its state files: stable key order, readable, millisecond dates.
    package static var tygerState: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601WithMilliseconds
        return encoder
    }
}

extension JSONEncoder {
    /// The same encoder writing one line, for files with one JSON object per line.
    package var compact: JSONEncoder {
        outputFormatting.remove(.prettyPrinted)
        return self
    }
}

extension JSONDecoder {
    package static var tygerState: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601WithMilliseconds
        return decoder
    }
}

extension JSONEncoder.DateEncodingStrategy {
    /// `2026-11-29T07:52:47.743Z`: run timings need better than whole seconds.
    public static var iso8601WithMilliseconds: JSONEncoder.DateEncodingStrategy {
        .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(MillisecondTimestamp.text(date))
        }
    }
}

/// RFC 3339 text in UTC with milliseconds, rounded to the nearest millisecond, so that a
/// time read back from its text is written as the same text (formatting truncates, and
/// `.943` parsed is a hair below it).
package enum MillisecondTimestamp {
    package static func text(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (wholeSeconds, positive) = fraction < 0 ? (seconds - 1, fraction + 1000) : (seconds, fraction)
        let whole = Date(timeIntervalSince1970: Double(wholeSeconds)).formatted(Date.ISO8601FormatStyle())
        let digits = String(positive)
        return whole.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}

extension JSONDecoder.DateDecodingStrategy {
    /// Reads ISO 8601 dates with or without fractional seconds.
    public static var iso8601WithMilliseconds: JSONDecoder.DateDecodingStrategy {
        .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
                return date
            }
            if let date = try? Date(text, strategy: .iso8601) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 date")
        }
    }
}
