public import Foundation
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs codespecs as processes on this machine: the embedded default backend.
///
/// Workers of a distributed run run side by side, each replica on its own loopback ports;
/// the job starts once every endpoint of every replica accepts TCP connections from a
/// listener of that replica's own processes. Processes run `command` and `args` directly
/// (never through a shell) with the codespec's `env` and `workingDir`; the image is not
/// used. Each replica's first process is the first process of a PID namespace of its own,
/// so everything it starts ends with it, and it is killed by the kernel if the hosting
/// process dies.
///
/// A backend exists only inside ``withBackend(configuration:_:)``: its runs are child tasks
/// of the task group that call owns, and when the closure returns every run it still
/// executes is canceled and waited for.
///
/// Run records and logs are kept under `<directory>/runs/<id>/`, so another process can
/// show, follow and cancel a run that this one executes.
///
/// ```swift
/// try await LocalBackend.withBackend { backend in
///     let client = TygerClient(store: FileCodespecStore(), backend: backend)
///     let run = try await client.createRun(spec)
///     print(try await client.waitUntilTerminal(run.id).status)
/// }
/// ```
public final class LocalBackend: ClusterBackend {
    /// How the local backend runs processes.
    public struct Configuration: Sendable {
        /// The state directory; runs are kept in its `runs` folder.
        public var directory: URL = TygerHome.directory()
        /// How long a process may take to exit after SIGTERM before it gets SIGKILL.
        public var gracePeriod: Duration = .seconds(10)
        /// The first delay before a worker that exited is started again; it doubles per restart.
        public var initialRestartDelay: Duration = .milliseconds(100)
        /// The longest delay between worker restarts.
        public var maximumRestartDelay: Duration = .seconds(10)
        /// Whether processes start from this process's environment (then the run's on top).
        public var inheritsEnvironment = true
        /// The hostname workers are reached at.
        public var hostname = "127.0.0.1"
        /// Where the backend reports what it does.
        public var logger = Logger(label: "TygerKit.LocalBackend", factory: { _ in SwiftLogNoOpLogHandler() })
        /// The longest discovery list passed in the environment; longer ones go to files. A
        /// knob for tests, which exercise the files with a few workers instead of thousands.
        package var discoveryInlineLimit = DiscoveryVariables.inlineLimit
        /// The file whose byte locks reserve ports against every TygerKit process of the machine.
        package var portLockFile = PortReservations.defaultLockFile

        /// The default configuration.
        public init() {}
    }

    /// How long ``cancel(id:)`` waits for another process's host to take a cancel in.
    static let cancelAcknowledgementTimeout: Duration = .seconds(5)

    public let name = "local"
    public let capabilities = BackendCapabilities()
    /// The configuration the backend was created with.
    public let configuration: Configuration

    let store: LocalRunStore
    private let context: LocalRunContext
    private let active = Mutex<Active>(Active())
    private let launches: AsyncStream<LocalRun>.Continuation

    private struct Active {
        var runs: [RunID: LocalRun] = [:]
        var isShutDown = false
    }

    private init(configuration: Configuration, launches: AsyncStream<LocalRun>.Continuation) throws(TygerError) {
        self.configuration = configuration
        self.launches = launches
        store = LocalRunStore(directory: configuration.directory)
        let ports = try PortReservations(
            lockFile: configuration.portLockFile,
            fallback: configuration.directory.appendingPathComponent("ports.lock"))
        context = LocalRunContext(
            configuration: configuration, ports: ports, pacing: ProbePacing(), isolation: .available)
        DescriptorLimit.raise()
    }

    /// Runs `body` with a backend, then cancels every run it still executes and waits until
    /// their processes are gone, also when `body` throws.
    public static func withBackend<Result: Sendable>(
        configuration: Configuration = Configuration(),
        _ body: (LocalBackend) async throws -> Result
    ) async throws -> Result {
        let (runs, launches) = AsyncStream.makeStream(of: LocalRun.self)
        let backend = try LocalBackend(configuration: configuration, launches: launches)
        async let executing: Void = backend.execute(runs)
        do {
            let result = try await body(backend)
            await backend.shutdown()
            await executing
            return result
        } catch {
            await backend.shutdown()
            await executing
            throw error
        }
    }

    /// Executes every submitted run as a child of one task group, until ``shutdown()``.
    private func execute(_ runs: AsyncStream<LocalRun>) async {
        await withDiscardingTaskGroup { group in
            for await run in runs {
                group.addTask {
                    await run.execute()
                    _ = self.active.withLock { $0.runs.removeValue(forKey: run.id) }
                }
            }
        }
    }

    /// Cancels every run this backend executes (they end `Canceled`, `Canceled: the local
    /// backend shut down`) and takes no new ones; ``withBackend(configuration:_:)`` then waits
    /// until their processes are gone.
    public func shutdown() async {
        let runs = active.withLock { active in
            active.isShutDown = true
            return Array(active.runs.values)
        }
        for run in runs { await run.cancel(.backendShutDown(backend: name)) }
        launches.finish()
    }

    // MARK: - ClusterBackend

    /// Checks what this machine can hold (ports, process slots, descriptors) for the run.
    public func validate(_ spec: ResolvedRunSpec) throws {
        try LocalCapacity.check(spec)
    }

    public func submit(_ spec: ResolvedRunSpec) async throws -> Run {
        try validate(spec)
        guard !active.withLock({ $0.isShutDown }) else {
            throw TygerError(.backend, "the local backend has shut down and starts no more runs")
        }
        let folder = try store.create()
        let run = Run(id: folder.id, spec: spec, createdAt: Date(), backend: name)
        let execution: LocalRun
        do {
            execution = try LocalRun(run: run, folder: folder, context: context)
        } catch {
            // Nothing ran: leave no empty folder behind, only the record of what happened.
            var failed = run
            failed.end(.couldNotStart("\(error)"))
            if (try? folder.write(failed)) == nil { folder.remove() }
            throw error
        }
        active.withLock { $0.runs[run.id] = execution }
        if case .terminated = launches.yield(execution) {
            await execution.cancel(.backendShutDown(backend: name))
        }
        configuration.logger.info("run submitted", metadata: ["run": "\(run.id)"])
        return run
    }

    public func run(id: RunID) async throws -> Run {
        try currentRun(id)
    }

    /// The runs `query` selects, newest first, reading records from the newest down and
    /// stopping at the limit or at the first run created before `since`. A record that
    /// cannot be read does not hide the others: they are returned in an
    /// ``IncompleteListing`` with the problem, naming its file.
    public func runs(_ query: RunQuery) async throws -> [Run] {
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

    public func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error> {
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
    public func cancel(id: RunID) async throws -> Run {
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
    public func setTags(of id: RunID, to tags: [String: String], ifMatch eTag: String?) async throws -> Run {
        try store.replaceTags(of: id, with: tags, ifMatch: eTag) { () throws(TygerError) in try currentRun(id) }
    }

    public func logs(of id: RunID, _ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        if let execution = execution(id) { return execution.logs(options) }
        return RecordFollower(store: store, id: id, reader: storedRun).logs(options)
    }

    /// Why the run waits, workers restarting, the job starting, the run ending.
    public func events(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        if let execution = execution(id) { return execution.events(follow: follow) }
        return RecordFollower(store: store, id: id, reader: storedRun).events(follow: follow)
    }

    private func execution(_ id: RunID) -> LocalRun? {
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

/// The file-descriptor limit of the host process.
enum DescriptorLimit {
    /// Each process of a run holds three descriptors here (two pipes and a pidfd), so the
    /// common soft limit of 1024 would stop a run at about 330 processes; the hard limit is
    /// what the system allows this process, and raising the soft limit to it is harmless.
    static func raise() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
