import Foundation

/// Follows a run executed by another process through its files: the record for status, the
/// log file for lines. Polling is the only way to see another process's writes without a
/// server; it is used only for runs this process does not execute.
struct RecordFollower: Sendable {
    static let interval: Duration = .milliseconds(100)

    let records: LocalRunRecords
    let id: RunID
    let reader: @Sendable (RunID) throws -> Run

    func updates() -> AsyncThrowingStream<Run, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var last: Run?
                    while !Task.isCancelled {
                        let run = try reader(id)
                        if run != last {
                            continuation.yield(run)
                            last = run
                        }
                        if run.status.isTerminal { break }
                        try await Task.sleep(for: Self.interval)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func logs(follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    _ = try reader(id)
                    var reader = LogFileReader(url: records.logFile(id))
                    while !Task.isCancelled {
                        let finished = try self.reader(id).status.isTerminal
                        for line in reader.readNewLines() { continuation.yield(line) }
                        if !follow || finished { break }
                        try await Task.sleep(for: Self.interval)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
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

/// How a run's log file stores lines: `[source] text`, readable with `tail -f`.
enum LogFileFormat {
    static func format(_ line: RunLogLine) -> String { "\(line.description)\n" }

    static func parse(_ text: String) -> RunLogLine {
        guard text.hasPrefix("["), let close = text.firstIndex(of: "]") else {
            return RunLogLine(source: .system, text: text)
        }
        let label = text[text.index(after: text.startIndex)..<close]
        var body = text[text.index(after: close)...]
        if body.hasPrefix(" ") { body = body.dropFirst() }
        return RunLogLine(source: source(label) ?? .system, text: String(body))
    }

    private static func source(_ label: Substring) -> RunLogSource? {
        if label == "job" { return .job(nil) }
        if label == "tyger" { return .system }
        if label.hasPrefix("job-"), let replica = Int(label.dropFirst(4)) { return .job(replica) }
        if label.hasPrefix("worker-"), let index = Int(label.dropFirst(7)) { return .worker(index) }
        return nil
    }
}
