#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Line output written straight to the file descriptors.
///
/// `print` buffers whole blocks when stdout is a pipe, which is how a run's logs are captured, so
/// the "listening" line would only appear at exit. One `write(2)` per line also keeps lines from
/// concurrent connections whole.
enum Console {
    /// Writes `line` and a newline to stdout.
    static func out(_ line: String) {
        write(line, to: STDOUT_FILENO)
    }

    /// Writes `line` and a newline to stderr.
    static func error(_ line: String) {
        write(line, to: STDERR_FILENO)
    }

    private static func write(_ line: String, to descriptor: Int32) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else {
                // Nobody is reading the log any more; losing a line must not stop the program.
                return
            }
        }
    }
}

/// The C `write`, which ``Console``'s own `write(_:to:)` shadows inside the type.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
