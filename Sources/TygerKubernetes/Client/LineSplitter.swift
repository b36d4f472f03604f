import NIOCore
import TygerKit

/// Cuts a byte stream into newline-terminated lines, whatever the chunk boundaries: a line
/// may arrive in several chunks, and a chunk may hold several lines.
///
/// Watches and logs are newline-delimited; HTTP chunking (and TLS records, and HTTP/2 frames)
/// cut them anywhere, so lines are assembled here rather than taken chunk by chunk.
struct LineSplitter {
    /// The longest line accepted; a longer one is an error rather than unbounded memory.
    let maximumLineBytes: Int
    private var pending: [UInt8] = []

    init(maximumLineBytes: Int) {
        self.maximumLineBytes = maximumLineBytes
    }

    /// Adds a chunk and returns the lines it completes, without their `\n`.
    mutating func append(_ chunk: ByteBuffer) throws(TygerError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        let bytes = chunk.readableBytesView
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if pending.isEmpty {
                lines.append(Array(bytes[start..<newline]))
            } else {
                pending.append(contentsOf: bytes[start..<newline])
                lines.append(pending)
                pending.removeAll(keepingCapacity: true)
            }
            start = bytes.index(after: newline)
        }
        pending.append(contentsOf: bytes[start...])
        guard pending.count <= maximumLineBytes else {
            throw TygerError(
                .backend, "A line of the Kubernetes API server's stream is longer than \(maximumLineBytes) bytes")
        }
        return lines
    }

    /// The last line when the stream ended without a final `\n`.
    mutating func finish() -> [UInt8]? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : pending
    }
}
