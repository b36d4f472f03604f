import Foundation
import TygerKit

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
