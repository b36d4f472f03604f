/// Cuts a byte stream into lines, holding at most ``maximumLineBytes`` of an unfinished
/// line so that a process writing a huge blob without newlines cannot exhaust memory.
package struct LineSplitter {
    /// Longer lines are delivered in pieces of at most this many bytes.
    static let maximumLineBytes = 64 * 1024

    private var pending: [UInt8] = []

    package init() {}

    /// Feeds bytes read from the pipe and calls `emit` for every line they complete.
    package mutating func append(_ bytes: UnsafeRawBufferPointer, emit: (String) -> Void) {
        var lineStart = 0
        while let newline = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<newline])
            if pending.isEmpty {
                Self.emitLine(line, emit: emit)
            } else {
                pending.append(contentsOf: line)
                pending.withUnsafeBytes { Self.emitLine($0, emit: emit) }
                pending.removeAll(keepingCapacity: true)
            }
            lineStart = newline + 1
        }
        guard lineStart < bytes.count else { return }
        pending.append(contentsOf: bytes[lineStart...])
        // Strictly greater: a line of exactly the maximum followed later by its newline
        // stays one line instead of becoming that line plus an empty one.
        if pending.count > Self.maximumLineBytes {
            let kept = pending.withUnsafeBytes { buffer in
                Self.emitFullPieces(buffer, emit: emit)
            }
            pending.removeFirst(pending.count - kept)
        }
    }

    /// Delivers what is left once the pipe hits EOF: a last line without a newline.
    package mutating func finish(emit: (String) -> Void) {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { Self.emitLine($0, emit: emit) }
        pending = []
    }

    private static func emitLine(_ line: UnsafeRawBufferPointer, emit: (String) -> Void) {
        let kept = emitFullPieces(line, emit: emit)
        let rest = UnsafeRawBufferPointer(rebasing: line[(line.count - kept)...])
        if kept > 0 || line.isEmpty {
            emit(decode(rest))
        }
    }

    /// Emits maximum-size pieces while more than a maximum remains; returns how many
    /// trailing bytes (at most the maximum) were left for the caller.
    private static func emitFullPieces(_ bytes: UnsafeRawBufferPointer, emit: (String) -> Void) -> Int {
        var start = 0
        while bytes.count - start > maximumLineBytes {
            let end = pieceEnd(bytes, start: start)
            emit(decode(UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
            start = end
        }
        return bytes.count - start
    }

    /// Backs off to a UTF-8 character boundary so a split does not turn one valid
    /// character into two replacement characters; gives up after 3 continuation bytes
    /// because the input is then not valid UTF-8 anyway.
    private static func pieceEnd(_ bytes: UnsafeRawBufferPointer, start: Int) -> Int {
        let limit = start + maximumLineBytes
        var end = limit
        while end > limit - 3, bytes[end] & 0b1100_0000 == 0b1000_0000 {
            end -= 1
        }
        return bytes[end] & 0b1100_0000 == 0b1000_0000 ? limit : end
    }

    /// Invalid UTF-8 becomes U+FFFD rather than losing the line.
    private static func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
