public import Foundation
package import Logging
import Synchronization

/// What a backend whose runs this process supervises does besides starting replicas (the
/// local and container backends): records, logs and events in a ``RunRecordStore``, runs
/// executed as children of one task group, reads answered from memory for runs this
/// process executes and from the records for the others, cancel requests and tags that
/// work from any process. A backend supplies a ``ReplicaDriver`` per run.
package final class HostedRuns<Driver: ReplicaDriver>: Sendable {
    /// The backend's name, for records and messages.
    package let backendName: String
    package let store: RunRecordStore
    private let restartDelay: RunStateMachine.RestartDelay
    private let logger: Logger
    private let active = Mutex<Active>(Active())
    private let launches: AsyncStream<SupervisedRun<Driver>>.Continuation

    /// How long ``cancel(id:)`` waits for another process's host to take a cancel in.
    static var cancelAcknowledgementTimeout: Duration { .seconds(5) }

    private struct Active {
        var runs: [RunID: SupervisedRun<Driver>] = [:]
        var isShutDown = false
    }

    private init(
        backendName: String, directory: URL, restartDelay: RunStateMachine.RestartDelay, logger: Logger,
        launches: AsyncStream<SupervisedRun<Driver>>.Continuation
    ) {
        self.backendName = backendName
        store = RunRecordStore(directory: directory)
        self.restartDelay = restartDelay
        self.logger = logger
        self.launches = launches
    }

    /// Runs `body` with the runs of a backend kept under `directory`, then cancels every run
    /// still executing and waits until nothing of them runs, also when `body` throws.
    package static func withRuns<Result: Sendable>(
        backendName: String, directory: URL, restartDelay: RunStateMachine.RestartDelay, logger: Logger,
        _ body: (HostedRuns) async throws -> Result
    ) async throws -> Result {
        let (runs, launches) = AsyncStream.makeStream(of: SupervisedRun<Driver>.self)
        let hosted = HostedRuns(
            backendName: backendName, directory: directory, restartDelay: restartDelay, logger: logger, launches: launches)
        async let executing: Void = hosted.execute(runs)
        do {
            let result = try await body(hosted)
            await hosted.shutdown()
            await executing
            return result
        } catch {
            await hosted.shutdown()
            await executing
            throw error
        }
    }

    /// Executes every submitted run as a child of one task group, until ``shutdown()``.
    private func execute(_ runs: AsyncStream<SupervisedRun<Driver>>) async {
        await withDiscardingTaskGroup { group in
            for await run in runs {
                group.addTask {
                    await run.execute()
                    _ = self.active.withLock { $0.runs.removeValue(forKey: run.id) }
                }
            }
        }
    }

    /// Cancels every run executing here (they end `Canceled: the <name> backend shut down`)
    /// and takes no new ones.
    package func shutdown() async {
        let runs = active.withLock { active in
            active.isShutDown = true
            return Array(active.runs.values)
        }
        for run in runs { await run.cancel(.backendShutDown(backend: backendName)) }
        launches.finish()
    }

    /// Creates the run's record and starts executing it with the driver `makeDriver` gives.
    package func submit(_ spec: ResolvedRunSpec, driver makeDriver: (Run) async throws -> Driver) async throws -> Run {
        guard !active.withLock({ $0.isShutDown }) else {
            throw TygerError(.backend, "the \(backendName) backend has shut down and starts no more runs")
        }
        let folder = try store.create()
        let run = Run(id: folder.id, spec: spec, createdAt: Date(), backend: backendName)
        let execution: SupervisedRun<Driver>
        do {
            let driver = try await makeDriver(run)
            do {
                execution = try SupervisedRun(
                    run: run, folder: folder, driver: driver, restartDelay: restartDelay, logger: logger)
            } catch {
                await driver.release()
                throw error
            }
        } catch {
            // Nothing ran: leave no empty folder behind, only the record of what happened.
            var failed = run
            failed.end(.couldNotStart("\(error)"))
            if (try? folder.write(failed)) == nil { folder.remove() }
            throw error
        }
        active.withLock { $0.runs[run.id] = execution }
        if case .terminated = launches.yield(execution) {
            await execution.cancel(.backendShutDown(backend: backendName))
        }
        logger.info("run submitted", metadata: ["run": "\(run.id)"])
        return run
    }

    package func run(id: RunID) throws(TygerError) -> Run {
        try currentRun(id)
    }

    /// The runs `query` selects, newest first, reading records from the newest down and
    /// stopping at the limit or at the first run created before `since`. A record that
    /// cannot be read does not hide the others: they are returned in an
    /// ``IncompleteListing`` with the problem, naming its file.
    package func runs(_ query: RunQuery) throws -> [Run] {
        var runs: [Run] = []
        var problems: [TygerError] = []
        for id in try store.runIDs() {
            guard runs.count < query.limit ?? .max else { break }
            let run: Run
            switch Result(catching: { () throws(TygerError) in try currentRun(id) }) {
            case .success(let found): run = found
            // A folder without a record: a run being created right now, or not a run.
            case .failure(let error) where error.code == .runNotFound: continue
            case .failure(let error):
                problems.append(error)
                continue
            }
            // IDs grow with creation time, so every older run was created before `since` too.
            if let since = query.since, run.createdAt <= since { break }
            if query.matches(run) { runs.append(run) }
        }
        guard problems.isEmpty else { throw IncompleteListing(items: runs, problems: problems) }
        return runs
    }

    package func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error> {
        guard let execution = execution(id) else {
            return RecordFollower(store: store, id: id, reader: currentRun).updates()
        }
        let updates = execution.updates()
        return AsyncThrowingStream { [store] continuation in
            let task = Task {
                do {
                    for try await run in updates { continuation.yield(try store.applyingTags(to: run)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Cancels a run and returns once its host has taken the request in: a run this process
    /// executes at once, one another process executes within a few seconds (a run whose host
    /// does not answer is returned as it stands).
    package func cancel(id: RunID) async throws -> Run {
        if let execution = execution(id) {
            await execution.cancel(.canceledByUser)
            return try currentRun(id)
        }
        let run = try currentRun(id)
        guard !run.status.isTerminal else { return run }
        try store.requestCancel(id)
        let updates = RecordFollower(store: store, id: id, reader: currentRun).updates()
        let acknowledged = try await withThrowingTaskGroup(of: Run?.self) { group in
            group.addTask {
                for try await update in updates where update.status == .canceling || update.status.isTerminal {
                    return update
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: Self.cancelAcknowledgementTimeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        return try acknowledged ?? currentRun(id)
    }

    /// Replaces the run's tags from any process: the change is kept beside the record (which
    /// only the run's host writes) under the run folder's lock.
    package func setTags(of id: RunID, to tags: [String: String], ifMatch eTag: String?) throws -> Run {
        try store.replaceTags(of: id, with: tags, ifMatch: eTag) { () throws(TygerError) in try currentRun(id) }
    }

    package func logs(of id: RunID, _ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        if let execution = execution(id) { return execution.logs(options) }
        return RecordFollower(store: store, id: id, reader: storedRun).logs(options)
    }

    package func events(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        if let execution = execution(id) { return execution.events(follow: follow) }
        return RecordFollower(store: store, id: id, reader: storedRun).events(follow: follow)
    }

    /// Whether this process executes run `id`.
    package func isExecuting(_ id: RunID) -> Bool { execution(id) != nil }

    private func execution(_ id: RunID) -> SupervisedRun<Driver>? {
        active.withLock { $0.runs[id] }
    }

    /// The run as it stands, with the tags set since it was created.
    private func currentRun(_ id: RunID) throws(TygerError) -> Run {
        let run: Run
        if let execution = execution(id) { run = execution.snapshot() } else { run = try storedRun(id) }
        return try store.applyingTags(to: run)
    }

    /// A run record from disk, as it stands: a run whose hosting process died before it
    /// finished is reported failed, finished when its files last changed, without changing
    /// the record (a read changes nothing).
    private func storedRun(_ id: RunID) throws(TygerError) -> Run {
        var run = try store.read(id)
        if !run.status.isTerminal, execution(id) == nil, !store.isHostAlive(id) {
            run.end(.hostExited, at: store.lastWrite(id) ?? run.createdAt)
        }
        return run
    }
}
