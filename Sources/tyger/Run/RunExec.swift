import ArgumentParser
import Foundation
import TygerKit

struct RunExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Create a run, follow its logs, and wait; exit 0 only when it succeeds.",
        discussion: """
            The run's log goes to standard output (to standard error with --logs, as in Tyger's CLI); \
            status changes, why the run waits and what happens to its replicas go to standard error. \
            Ctrl-C cancels the run.
            """
    )

    @OptionGroup var spec: RunSpecOptions

    @Flag(help: "Print the run's log on standard error instead of standard output.")
    var logs = false

    @Flag(help: "Start each log line with the time it was written.")
    var timestamps = false

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let runSpec = try spec.runSpec()
        let status = try await backend.withClient { client in
            try spec.checkPull(for: client.backend)
            let run = try await client.createRun(runSpec)
            Output.error("run \(run.id) created")
            // The run lives in this process: a closed terminal or a kill must cancel it, not leave it.
            let cancellation = SignalCancellation(signals: [SIGINT, SIGTERM, SIGHUP]) {
                Output.error("canceling run \(run.id)")
                Task { _ = try? await client.cancel(id: run.id) }
            }
            defer { cancellation.stop() }
            let prefixes = RunLogPrefixes(run.spec)
            let write: @Sendable (String) -> Void = logs ? Output.error : Output.line
            async let printed: Void = Self.printLogs(client.logs(of: run.id, follow: true), prefixes, timestamps, write)
            let final = try await ProgressReport(runID: run.id).follow(
                updates: client.updates(of: run.id), events: client.events(of: run.id, follow: true))
            try await printed
            return final
        }
        guard status.status == .succeeded else { throw ExitCode(1) }
    }

    private static func printLogs(
        _ lines: AsyncThrowingStream<RunLogLine, any Error>, _ prefixes: RunLogPrefixes, _ timestamps: Bool,
        _ write: (String) -> Void
    ) async throws {
        for try await line in lines {
            write(prefixes.format(line, timestamps: timestamps))
        }
    }
}

/// What `run exec` tells on standard error while a run goes on: each status change, why a
/// pending run waits (worker progress at most once a second), and the backend's events
/// (a worker restarting, the job starting), each message once.
struct ProgressReport {
    let runID: RunID

    private enum Item: Sendable {
        case update(Run)
        case event(RunEvent)
    }

    /// Prints until the run is terminal and returns the terminal record.
    func follow(
        updates: AsyncThrowingStream<Run, any Error>, events: AsyncThrowingStream<RunEvent, any Error>
    ) async throws -> Run {
        let (items, sink) = AsyncThrowingStream<Item, any Error>.makeStream()
        let eventReader = Task {
            // Events are a courtesy: a backend that cannot tell them does not fail the exec.
            do { for try await event in events { sink.yield(.event(event)) } } catch {}
        }
        let updateReader = Task {
            do {
                for try await run in updates { sink.yield(.update(run)) }
                sink.finish()
            } catch {
                sink.finish(throwing: error)
            }
        }
        defer {
            eventReader.cancel()
            updateReader.cancel()
        }
        var last: Run?
        var told = RecentMessages()
        var lastProgress = ContinuousClock.now - .seconds(1)
        for try await item in items {
            switch item {
            case .event(let event):
                if told.insert(event.message) { Output.error("run \(runID): \(event.message)") }
            case .update(let run):
                defer { last = run }
                if run.status != last?.status {
                    Output.error("run \(run.id): \(run.status)\(run.statusReason.map { " (\($0))" } ?? "")")
                    if let reason = run.statusReason { _ = told.insert(reason) }
                    continue
                }
                guard run.status == .pending, let reason = run.statusReason, reason != last?.statusReason else { continue }
                let isProgress = run.workers != last?.workers
                if isProgress, ContinuousClock.now - lastProgress < .seconds(1), run.workers?.ready != run.workers?.total {
                    continue
                }
                if isProgress { lastProgress = .now }
                if told.insert(reason) { Output.error("run \(run.id): \(reason)") }
            }
            if last?.status.isTerminal == true { break }
        }
        guard let last else { throw TygerError(.backend, "the run reported no status") }
        return last
    }
}

/// The messages told lately, so that one said both as an event and as a status reason is told once.
private struct RecentMessages {
    private var order: [String] = []
    private var set: Set<String> = []

    /// Records `message`; returns whether it is new.
    mutating func insert(_ message: String) -> Bool {
        guard set.insert(message).inserted else { return false }
        order.append(message)
        if order.count > 64 { set.remove(order.removeFirst()) }
        return true
    }
}
