import Foundation

/// Follows a run executed by another process through its files: the record for status, the
/// log and events files for the rest. Polling is the only way to see another process's writes without a
/// server; it is used only for runs this process does not execute. The streams are pulled:
/// each element is read in the consumer's own task, so nothing runs once the consumer stops.
struct RecordFollower: Sendable {
    static let interval: Duration = .milliseconds(100)

    let store: RunRecordStore
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

    /// The log lines `options` select, read from the log file.
    func logs(_ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        let selection = LogSelection(options)
        return entries(
            LogFileReader(url: store.logFile(id)), follow: options.follow,
            firstRead: selection.select, laterRead: { $0.filter(selection.admits) })
    }

    /// The run's events, read from its events file.
    func events(follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        entries(LineFileReader<EventFileFormat>(url: store.eventsFile(id)), follow: follow, firstRead: { $0 }, laterRead: { $0 })
    }

    /// The entries of a file the host appends to: what the first read finds (through
    /// `firstRead`), then, with `follow`, what later reads find (through `laterRead`) until
    /// the run is terminal.
    private func entries<Format: LineFormat>(
        _ reader: LineFileReader<Format>, follow: Bool,
        firstRead: @escaping @Sendable ([Format.Entry]) -> [Format.Entry],
        laterRead: @escaping @Sendable ([Format.Entry]) -> [Format.Entry]
    ) -> AsyncThrowingStream<Format.Entry, any Error> {
        let progress = Progress<[Format.Entry]>([])
        let file = PulledReader(reader)
        let isFirst = Progress<Bool>(true)
        return AsyncThrowingStream(unfolding: { [reader = self.reader, id] () async throws -> Format.Entry? in
            while true {
                if !progress.value.isEmpty { return progress.value.removeFirst() }
                if progress.isDone { return nil }
                // Read the status first: entries written before the run ended are then all in the file.
                let ended = try reader(id).status.isTerminal
                let read = file.readNewLines()
                progress.value = isFirst.value ? firstRead(read) : laterRead(read)
                isFirst.value = false
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

    /// A file reader that only its stream's consumer task uses, one call at a time.
    private final class PulledReader<Format: LineFormat>: @unchecked Sendable {
        private var reader: LineFileReader<Format>
        init(_ reader: LineFileReader<Format>) { self.reader = reader }
        func readNewLines() -> [Format.Entry] { reader.readNewLines() }
    }
}
