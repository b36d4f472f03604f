#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` and a newline straight to a file descriptor (1 is stdout, 2 is stderr).
///
/// Unbuffered, so progress shows as it happens even through a pipe and a worker's line is out
/// before the backend stops it with SIGTERM; and free of the C library's `stdout`/`stderr`
/// globals, which Swift 6 rejects as shared mutable state.
func writeLine(_ text: String, to descriptor: Int32 = 1) {
    var bytes = Array((text + "\n").utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}
