package import Foundation

/// The timestamp the kubelet and container engines put before each log line (`timestamps=true`): RFC 3339 in UTC
/// with up to nine fractional digits, trailing zeros dropped (Go's `RFC3339Nano`). Kept to
/// the nanosecond, as text it does not sort and as a `Date` it loses digits, and resuming a
/// log without repeats needs exact comparisons.
package struct LogTimestamp: Sendable, Hashable, Comparable {
    package var seconds: Int64
    package var nanoseconds: Int32

    /// Splits a line read with `timestamps=true` into its timestamp and its text; a line
    /// without a readable timestamp is returned whole, with `nil`.
    package static func split(_ line: String) -> (LogTimestamp?, String) {
        guard let space = line.firstIndex(of: " "), let timestamp = LogTimestamp(line[..<space]) else { return (nil, line) }
        return (timestamp, String(line[line.index(after: space)...]))
    }

    package init?(_ text: Substring) {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let (whole, fraction): (Substring, Substring) =
            if let dot = body.firstIndex(of: ".") {
                (body[..<dot], body[body.index(after: dot)...])
            } else {
                (body, "")
            }
        guard fraction.count <= 9, fraction.allSatisfy(\.isASCII), fraction.allSatisfy(\.isNumber),
            let date = try? Date(String(whole) + "Z", strategy: Date.ISO8601FormatStyle())
        else { return nil }
        seconds = Int64(date.timeIntervalSince1970)
        nanoseconds = Int32(fraction + String(repeating: "0", count: 9 - fraction.count)) ?? 0
    }

    package init(_ date: Date) {
        let whole = date.timeIntervalSince1970.rounded(.down)
        seconds = Int64(whole)
        nanoseconds = Int32(min(999_999_999, ((date.timeIntervalSince1970 - whole) * 1e9).rounded()))
    }

    package var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9) }

    package static func < (lhs: LogTimestamp, rhs: LogTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}
