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
/// Workers of a distributed run run side by side, each replica on its own loopback port;
/// the job starts once every endpoint of every replica accepts TCP connections. Processes
/// run `command` and `args` directly (never through a shell) with the codespec's `env` and
/// `workingDir`; the image is not used. Every process of a run is stopped when the run
/// ends, and the kernel kills them if the hosting process dies.
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
        /// Whether processes start from this process's environment (then the codespec's on top).
        public var inheritsEnvironment = true
        /// The hostname workers are reached at.
        public var hostname = "127.0.0.1"
        /// Where the backend reports what it does.
        public var logger = Logger(label: "TygerKit.LocalBackend", factory: { _ in SwiftLogNoOpLogHandler() })

        /// The default configuration.
        public init() {}
    }

    public let name = "local"
    public let capabilities = BackendCapabilities()
    /// The configuration the backend was created with.
    public let configuration: Configuration

    let records: LocalRunRecords
    private let executions = Mutex<[RunID: LocalRunExecution]>([:])

    /// Creates a backend; call ``shutdown()`` when done, or use ``withBackend(configuration:_:)``.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        records = LocalRunRecords(directory: configuration.directory)
        _ = LocalBackend.raiseDescriptorLimit
    }

    /// Each process of a run holds three descriptors here (two pipes and a pidfd), so the
    /// common soft limit of 1024 would stop a run at about 330 processes; the hard limit is
    /// what the system allows this process, and raising the soft limit to it is harmless.
    private static let raiseDescriptorLimit: Void = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }()

    /// Runs `body` with a backend and shuts it down afterwards, also when `body` throws.
    public static func withBackend<Result: Sendable>(
        configuration: Configuration = Configuration(),
        _ body: (LocalBackend) async throws -> Result
    ) async throws -> Result {
        let backend = LocalBackend(configuration: configuration)
        do {
            let result = try await body(backend)
            await backend.shutdown()
            return result
        } catch {
            await backend.shutdown()
            throw error
        }
    }

    /// Cancels every run this backend executes and waits until their processes are gone.
    public func shutdown() async {
        let active = executions.withLock { Array($0.values) }
        for execution in active {
            await execution.cancel(.backendShutDown(backend: name))
        }
        for execution in active {
            _ = await execution.finished()
        }
    }

    public func submit(_ spec: ResolvedRunSpec) async throws -> Run {
        let id = try records.allocateID()
        let run = Run(id: id, spec: spec, createdAt: Date(), backend: name)
        let execution = LocalRunExecution(run: run, configuration: configuration, records: records) { [weak self] id in
            self?.executions.withLock { _ = $0.removeValue(forKey: id) }
        }
        executions.withLock { $0[id] = execution }
        do {
            try await execution.start()
        } catch {
            executions.withLock { _ = $0.removeValue(forKey: id) }
            var failed = run
            failed.end(.couldNotStart("\(error)"))
            try? records.write(failed)
            throw error
        }
        configuration.logger.info("run submitted", metadata: ["run": "\(id)"])
        return run
    }

    public func run(id: RunID) async throws -> Run {
        if let execution = execution(id) { return await execution.snapshot() }
        return try storedRun(id)
    }

    public func runs(_ query: RunQuery) async throws -> [Run] {
        var runs: [Run] = []
        for id in try records.runIDs() {
            guard runs.count < query.limit ?? .max else { break }
            if let run = try? await self.run(id: id) { runs.append(run) }
        }
        return runs
    }

    public func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error> {
        if let execution = execution(id) { return execution.updates() }
        return RecordFollower(records: records, id: id, reader: storedRun).updates()
    }

    public func cancel(id: RunID) async throws -> Run {
        if let execution = execution(id) {
            await execution.cancel(.canceledByUser)
            return await execution.snapshot()
        }
        var run = try storedRun(id)
        guard !run.status.isTerminal else { return run }
        try records.requestCancel(id)
        run.beginCanceling(.canceledByUser)
        return run
    }

    public func logs(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        if let execution = execution(id) { return execution.logs(follow: follow) }
        return RecordFollower(records: records, id: id, reader: storedRun).logs(follow: follow)
    }

    private func execution(_ id: RunID) -> LocalRunExecution? {
        executions.withLock { $0[id] }
    }

    /// A run record from disk, as it stands: a run whose hosting process died before it
    /// finished is reported failed, finished when its files last changed, without changing
    /// the record (a read changes nothing).
    private func storedRun(_ id: RunID) throws(TygerError) -> Run {
        var run = try records.read(id)
        if !run.status.isTerminal, execution(id) == nil, !records.isHostAlive(id) {
            run.end(.hostExited, at: records.lastWrite(id) ?? run.createdAt)
        }
        return run
    }
}
