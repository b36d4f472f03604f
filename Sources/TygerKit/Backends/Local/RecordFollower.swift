import Foundation

/// Follows a run executed by another process through its files: the record for status, the
/// log file for lines. Polling is the only way to see another process's writes without a
/// server; it is used only for runs this process does not execute. The streams are pulled:
/// each element is read in the consumer's own task, so nothing runs once the consumer stops.
struct RecordFollower: Sendable {
    static let interval: Duration = .milliseconds(100)

    let store: LocalRunStore
    let id: RunID
    let reader: @Sendable (RunID) throws -> Run

    func updates() -> AsyncThrowingStream<Run, any Error> {
        let progress = Progress<Run?>(nil)
        return AsyncThrowingStream(unfolding: { [reader, id] () async throws -> Run? in
            guard !progress.isDone else { return nil }
            while true {
                let run = try reader(id)
                if run != progress.value {
                    progress.value = run
                    if run.status.isTerminal { progress.isDone = true }
                    return run
                }
                try await Task.sleep(for: Self.interval)
            }
        })
    }

    func logs(follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        let progress = Progress<[RunLogLine]>([])
        let file = LockedReader(LogFileReader(url: store.logFile(id)))
        return AsyncThrowingStream(unfolding: { [reader, id] () async throws -> RunLogLine? in
            while true {
                if !progress.value.isEmpty { return progress.value.removeFirst() }
                if progress.isDone { return nil }
                // Read the status first: lines written before the run ended are then all in the file.
                let ended = try reader(id).status.isTerminal
                progress.value = file.readNewLines()
                if !follow || ended { progress.isDone = true }
                if progress.value.isEmpty, !progress.isDone { try await Task.sleep(for: Self.interval) }
            }
        })
    }

    /// The state of one pulled stream; only its consumer's task touches it, one call at a time.
    private final class Progress<Value>: @unchecked Sendable {
        var value: Value
        var isDone = false
        init(_ value: Value) { self.value = value }
    }

    private final class LockedReader: @unchecked Sendable {
        private var reader: LogFileReader
        init(_ reader: LogFileReader) { self.reader = reader }
        func readNewLines() -> [RunLogLine] { reader.readNewLines() }
    }
}
