import TygerKit

/// Splits the multiplexed stream the engine sends for a container's logs (no TTY) into
/// lines: frames of an 8-byte header (stream 1 stdout or 2 stderr, three zero bytes, a
/// big-endian 32-bit length) and that many bytes. Each stream keeps its own partial line,
/// so stdout and stderr never interleave within a line. Frames may be cut anywhere by the
/// transport; the state carries over.
struct LogFrames {
    /// Which output a line came from.
    enum Stream: UInt8, Sendable {
        case stdout = 1
        case stderr = 2
    }

    private var header: [UInt8] = []
    private var remaining = 0
    private var stream: Stream = .stdout
    private var lines: [Stream: LineSplitter] = [.stdout: LineSplitter(), .stderr: LineSplitter()]

    /// Feeds bytes as they arrive and calls `emit` for every line they complete.
    mutating func append(_ bytes: UnsafeRawBufferPointer, emit: (Stream, String) -> Void) {
        var offset = 0
        while offset < bytes.count {
            if remaining == 0 {
                let take = min(8 - header.count, bytes.count - offset)
                header.append(contentsOf: bytes[offset..<(offset + take)])
                offset += take
                guard header.count == 8 else { return }
                // Stream 0 (stdin) never carries output; anything unknown is read as stdout.
                stream = Stream(rawValue: header[0]) ?? .stdout
                remaining = header[4...7].reduce(0) { $0 << 8 | Int($1) }
                header.removeAll(keepingCapacity: true)
                continue
            }
            let take = min(remaining, bytes.count - offset)
            let current = stream
            lines[current]?.append(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)])) { emit(current, $0) }
            offset += take
            remaining -= take
        }
    }

    /// Delivers what is left at the end of the stream: last lines without a newline.
    mutating func finish(emit: (Stream, String) -> Void) {
        for stream in [Stream.stdout, .stderr] {
            lines[stream]?.finish { emit(stream, $0) }
        }
    }
}
