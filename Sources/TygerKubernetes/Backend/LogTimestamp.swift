import Foundation

/// The timestamp the kubelet puts before each log line (`timestamps=true`): RFC 3339 in UTC
/// with up to nine fractional digits, trailing zeros dropped (Go's `RFC3339Nano`). Kept to
/// the nanosecond, as text it does not sort and as a `Date` it loses digits, and resuming a
/// log without repeats needs exact comparisons.
struct LogTimestamp: Sendable, Hashable, Comparable {
    var seconds: Int64
    var nanoseconds: Int32

    /// Splits a line read with `timestamps=true` into its timestamp and its text; a line
    /// without a readable timestamp is returned whole, with `nil`.
    static func split(_ line: String) -> (LogTimestamp?, String) {
        guard let space = line.firstIndex(of: " "), let timestamp = LogTimestamp(line[..<space]) else { return (nil, line) }
        return (timestamp, String(line[line.index(after: space)...]))
    }

    init?(_ text: Substring) {
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

    init(_ date: Date) {
        let whole = date.timeIntervalSince1970.rounded(.down)
        seconds = Int64(whole)
        nanoseconds = Int32(min(999_999_999, ((date.timeIntervalSince1970 - whole) * 1e9).rounded()))
    }

    var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9) }

    static func < (lhs: LogTimestamp, rhs: LogTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }
}

/// Where a followed container log has got to, so that a new request after a dropped stream
/// continues exactly there: the API can only start again at a whole second, so the lines
/// already seen at or before the last timestamp are skipped, counting the lines that share
/// that timestamp.
struct LogCursor: Sendable {
    private(set) var last: LogTimestamp?
    /// How many lines with exactly ``last`` were passed on.
    private var atLast = 0
    /// Lines with exactly ``last`` still to skip in the current request.
    private var toSkip = 0

    /// Begins a new request for the same log; returns the moment to ask from.
    mutating func resume() -> Date? {
        toSkip = atLast
        return last?.date
    }

    /// Whether a line with `timestamp` is new, and if so records it.
    mutating func admit(_ timestamp: LogTimestamp?) -> Bool {
        guard let timestamp else { return true }
        if let last {
            if timestamp < last { return false }
            if timestamp == last {
                if toSkip > 0 {
                    toSkip -= 1
                    return false
                }
                atLast += 1
                return true
            }
        }
        last = timestamp
        atLast = 1
        toSkip = 0
        return true
    }
}
