#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed C library call: which call, and the `errno` it left behind.
struct SystemError: Error, CustomStringConvertible {
    /// What was being attempted, phrased to precede ": <reason>", e.g. `bind 0.0.0.0:7100`.
    var operation: String
    /// The `errno` value, or 0 when ``reason`` was supplied directly (as for `getaddrinfo`).
    var code: Int32
    /// Human-readable cause; `strerror(code)` unless given.
    var reason: String

    /// Captures the current `errno`; call it immediately after the failing call.
    init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
        self.reason = String(cString: strerror(code))
    }

    /// For failures that do not report through `errno`.
    init(_ operation: String, reason: String) {
        self.operation = operation
        self.code = 0
        self.reason = reason
    }

    /// `operation: reason`.
    var description: String { "\(operation): \(reason)" }
}

/// The exit status used for every failed check, so a harness can tell failures (1) from
/// command-line mistakes (64) and from signals.
let failureStatus: Int32 = 1

/// The conventional `EX_USAGE` status from sysexits.h.
let usageStatus: Int32 = 64

/// Reports `message` on stderr and exits with ``failureStatus``.
///
/// Everything this program says about a failed check goes through here, so the harness only has
/// to look at stderr to explain a non-zero exit.
func fail(_ message: String) -> Never {
    writeError("tyger-conformance: \(message)")
    exit(failureStatus)
}

/// Writes one line to stderr.
func writeError(_ line: String) {
    writeLine(line, to: STDERR_FILENO)
}

/// Writes one line to stdout.
func writeOutput(_ line: String) {
    writeLine(line, to: STDOUT_FILENO)
}

/// Writes a whole line with one `write(2)` per attempt, bypassing stdio.
///
/// No user-space buffer means nothing is lost when a harness SIGKILLs the process, and lines from
/// stdout and stderr reach their pipes in the order they were produced. Write errors are ignored:
/// a reader that went away must not turn a passing check into a failing one.
private func writeLine(_ line: String, to descriptor: Int32) {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written > 0 {
            offset += written
        } else if written < 0, errno == EINTR {
            continue
        } else {
            return
        }
    }
}

/// Every variable of the process environment as name/value pairs, in environment order.
///
/// Read from `environ` directly rather than through Foundation so the program stays light.
func environmentVariables() -> [(name: String, value: String)] {
    #if canImport(Darwin)
        // Darwin does not export `environ` to code outside the main executable image.
        let head: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = _NSGetEnviron()?.pointee
    #else
        let head: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
    #endif
    guard var cursor = head else { return [] }
    var variables: [(name: String, value: String)] = []
    while let entry = cursor.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            variables.append((String(text[..<equals]), String(text[text.index(after: equals)...])))
        }
        cursor += 1
    }
    return variables
}

/// Suspends the calling thread for `seconds`, resuming after signals that interrupt `nanosleep`.
func sleepUninterrupted(seconds: Double) {
    let whole = seconds.rounded(.down)
    var request = timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0, errno == EINTR {
        request = remaining
    }
}
