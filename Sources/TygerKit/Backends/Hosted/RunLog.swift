import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How entries of an appended file are written and read back, one per line.
protocol LineFormat {
    associatedtype Entry: Sendable
    static func format(_ entry: Entry) -> String
    static func parse(_ line: String) -> Entry?
}

/// The merged log of a run's programs.
typealias RunLog = AppendLog<LogFileFormat>
/// What happened to a run, for the people following it.
typealias RunEventLog = AppendLog<EventFileFormat>

/// A file of a run that its host appends to while it executes the run (the merged log, the
/// events), and hands each entry to every follower in this process, in one order.
///
/// An entry that cannot be written (a full disk, a file system gone read-only) still reaches
/// the followers; the file misses it, and ``droppedLines`` says how many and why. Nothing
/// here traps.
final class AppendLog<Format: LineFormat>: Sendable {
    typealias Entry = Format.Entry

    private struct State {
        var descriptor: Int32
        var subscribers: [UUID: AsyncThrowingStream<Entry, any Error>.Continuation] = [:]
        var isClosed = false
        var dropped = 0
        var dropReason: String?
    }

    private let file: URL
    private let state: Mutex<State>

    init(folder: RunFolder, name: String) throws(TygerError) {
        file = folder.url.appendingPathComponent(name)
        state = Mutex(State(descriptor: try folder.openForAppending(name)))
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
    func append(_ line: Entry) {
        let bytes = Array(Format.format(line).utf8)
        state.withLock { state in
            guard !state.isClosed else { return }
            if let error = Self.write(bytes, to: state.descriptor) {
                state.dropped += 1
                state.dropReason = state.dropReason ?? FileErrorText.errno(error)
            }
            for subscriber in state.subscribers.values { subscriber.yield(line) }
        }
    }

    /// The entries so far and, with `follow`, a stream of every later one until ``close()``.
    /// Reading the file and subscribing happen under one lock, so no entry is lost or repeated.
    func entries(follow: Bool) -> (existing: [Entry], later: AsyncThrowingStream<Entry, any Error>?) {
        let (stream, continuation) = AsyncThrowingStream<Entry, any Error>.makeStream()
        let key = UUID()
        let existing = state.withLock { state in
            var reader = LineFileReader<Format>(url: file)
            let existing = reader.readNewLines()
            if follow, !state.isClosed {
                state.subscribers[key] = continuation
            } else {
                continuation.finish()
            }
            return existing
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return (existing, follow ? stream : nil)
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
typealias LogFileReader = LineFileReader<LogFileFormat>

/// Reads complete entries appended to one of a run's files since the last read.
struct LineFileReader<Format: LineFormat> {
    let url: URL
    private var offset: UInt64 = 0
    private var partial = Data()

    init(url: URL) { self.url = url }

    mutating func readNewLines() -> [Format.Entry] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty else {
            return []
        }
        offset += UInt64(data.count)
        partial.append(data)
        var lines: [Format.Entry] = []
        while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
            let text = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
            partial.removeSubrange(partial.startIndex...newline)
            if let entry = Format.parse(text) { lines.append(entry) }
        }
        return lines
    }
}

/// How a run's log file stores lines: `<time> [source] text`, readable with `tail -f`. The
/// time is when the host read the line from the program, in UTC with milliseconds.
enum LogFileFormat: LineFormat {
    static func format(_ line: RunLogLine) -> String {
        "\(MillisecondTimestamp.text(line.timestamp)) \(line.description)\n"
    }

    static func parse(_ text: String) -> RunLogLine? {
        var rest = Substring(text)
        var timestamp = Date()
        if let space = rest.firstIndex(of: " "), let date = try? Date(String(rest[..<space]), strategy: timestampStyle) {
            timestamp = date
            rest = rest[rest.index(after: space)...]
        }
        guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
            let source = source(rest[rest.index(after: rest.startIndex)..<close])
        else { return nil }
        var body = rest[rest.index(after: close)...]
        if body.hasPrefix(" ") { body = body.dropFirst() }
        return RunLogLine(source: source, text: String(body), timestamp: timestamp)
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static func source(_ label: Substring) -> RunLogSource? {
        if label == "job" { return .job(nil) }
        if label.hasPrefix("job-"), let replica = Int(label.dropFirst(4)) { return .job(replica) }
        if label.hasPrefix("worker-"), let index = Int(label.dropFirst(7)) { return .worker(index) }
        return nil
    }
}

/// How a run's events file stores events: one JSON object per line.
enum EventFileFormat: LineFormat {
    static func format(_ event: RunEvent) -> String {
        guard let data = try? JSONEncoder.tygerState.compact.encode(event) else { return "" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func parse(_ line: String) -> RunEvent? {
        try? JSONDecoder.tygerState.decode(RunEvent.self, from: Data(line.utf8))
    }
}
