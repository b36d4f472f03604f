import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A run's merged log while its host executes it: each line goes to the run's `logs` file,
/// with the time the program wrote it, and to every follower in this process, in one order.
///
/// A line that cannot be written (a full disk, a file system gone read-only) still reaches
/// the followers; the file misses it, and ``droppedLines`` says how many and why, so the
/// run's record can tell readers that its stored log is incomplete. Nothing here traps.
final class RunLog: Sendable {
    private struct State {
        var descriptor: Int32
        var subscribers: [UUID: AsyncThrowingStream<RunLogLine, any Error>.Continuation] = [:]
        var isClosed = false
        var dropped = 0
        var dropReason: String?
    }

    private let file: URL
    private let state: Mutex<State>

    init(folder: RunFolder) throws(TygerError) {
        file = folder.url.appendingPathComponent(RunFolder.logName)
        state = Mutex(State(descriptor: try folder.openLog()))
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { systemClose(state.descriptor) }
        }
    }

    /// Lines the file misses, and why, once any could not be written.
    var droppedLines: (count: Int, reason: String)? {
        state.withLock { state in state.dropReason.map { (state.dropped, $0) } }
    }

    /// Writes `line` to the file and hands it to every follower.
    func append(_ line: RunLogLine) {
        let bytes = Array(LogFileFormat.format(line).utf8)
        state.withLock { state in
            guard !state.isClosed else { return }
            if let error = Self.write(bytes, to: state.descriptor) {
                state.dropped += 1
                state.dropReason = state.dropReason ?? FileErrorText.errno(error)
            }
            for subscriber in state.subscribers.values { subscriber.yield(line) }
        }
    }

    /// The lines so far and, with `follow`, every later one until ``close()``. Reading the
    /// file and subscribing happen under one lock, so no line is lost or repeated.
    func lines(follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        let (stream, continuation) = AsyncThrowingStream<RunLogLine, any Error>.makeStream()
        let key = UUID()
        state.withLock { state in
            var reader = LogFileReader(url: file)
            for line in reader.readNewLines() { continuation.yield(line) }
            if follow, !state.isClosed {
                state.subscribers[key] = continuation
            } else {
                continuation.finish()
            }
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    /// Ends every follower and closes the file; later lines are ignored.
    func close() {
        let subscribers = state.withLock { state in
            defer {
                state.subscribers = [:]
                state.isClosed = true
                if state.descriptor >= 0 { systemClose(state.descriptor) }
                state.descriptor = -1
            }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    /// Writes every byte, or returns the `errno` that stopped it.
    private static func write(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = systemWrite(descriptor, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += count
            }
            return nil
        }
    }
}

/// Reads complete lines appended to a run's log file since the last read.
struct LogFileReader {
    let url: URL
    private var offset: UInt64 = 0
    private var partial = Data()

    init(url: URL) { self.url = url }

    mutating func readNewLines() -> [RunLogLine] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else {
            return []
        }
        offset += UInt64(data.count)
        partial.append(data)
        var lines: [RunLogLine] = []
        while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
            let text = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
            partial.removeSubrange(partial.startIndex...newline)
            lines.append(LogFileFormat.parse(text))
        }
        return lines
    }
}

/// How a run's log file stores lines: `<time> [source] text`, readable with `tail -f`. The
/// time is when the host read the line from the program, in UTC with milliseconds.
enum LogFileFormat {
    static func format(_ line: RunLogLine) -> String {
        "\(line.timestamp.formatted(timestampStyle)) \(line.description)\n"
    }

    static func parse(_ text: String) -> RunLogLine {
        var rest = Substring(text)
        var timestamp = Date()
        if let space = rest.firstIndex(of: " "), let date = try? Date(String(rest[..<space]), strategy: timestampStyle) {
            timestamp = date
            rest = rest[rest.index(after: space)...]
        }
        guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]") else {
            return RunLogLine(source: .system, text: String(rest), timestamp: timestamp)
        }
        let label = rest[rest.index(after: rest.startIndex)..<close]
        var body = rest[rest.index(after: close)...]
        if body.hasPrefix(" ") { body = body.dropFirst() }
        return RunLogLine(source: source(label) ?? .system, text: String(body), timestamp: timestamp)
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func source(_ label: Substring) -> RunLogSource? {
        if label == "job" { return .job(nil) }
        if label == "tyger" { return .system }
        if label.hasPrefix("job-"), let replica = Int(label.dropFirst(4)) { return .job(replica) }
        if label.hasPrefix("worker-"), let index = Int(label.dropFirst(7)) { return .worker(index) }
        return nil
    }
}
