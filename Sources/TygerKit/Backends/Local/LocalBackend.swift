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

    public let name = "local"
    public let capabilities = BackendCapabilities()
    /// The configuration the backend was created with.
    public let configuration: Configuration

    private let hosted: HostedRuns<LocalReplicas>
    private let context: LocalRunContext
    /// Where the runs' records are.
    var store: RunRecordStore { hosted.store }

    private init(configuration: Configuration, hosted: HostedRuns<LocalReplicas>) throws(TygerError) {
        self.configuration = configuration
        self.hosted = hosted
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
        let restartDelay = RunStateMachine.RestartDelay(
            initial: configuration.initialRestartDelay, maximum: configuration.maximumRestartDelay)
        return try await HostedRuns<LocalReplicas>.withRuns(
            backendName: "local", directory: configuration.directory, restartDelay: restartDelay,
            logger: configuration.logger
        ) { hosted in
            try await body(try LocalBackend(configuration: configuration, hosted: hosted))
        }
    }

    /// Cancels every run this backend executes (they end `Canceled`, `Canceled: the local
    /// backend shut down`) and takes no new ones; ``withBackend(configuration:_:)`` then waits
    /// until their processes are gone.
    public func shutdown() async {
        await hosted.shutdown()
    }

    // MARK: - ClusterBackend

    /// Checks what this machine can hold (ports, process slots, descriptors) for the run.
    public func validate(_ spec: ResolvedRunSpec) throws {
        try LocalCapacity.check(spec)
    }

    public func submit(_ spec: ResolvedRunSpec) async throws -> Run {
        try validate(spec)
        return try await hosted.submit(spec) { run throws(TygerError) in try LocalReplicas(run: run, context: context) }
    }

    public func run(id: RunID) async throws -> Run {
        try hosted.run(id: id)
    }

    /// The runs `query` selects, newest first, reading records from the newest down and
    /// stopping at the limit or at the first run created before `since`. A record that
    /// cannot be read does not hide the others: they are returned in an
    /// ``IncompleteListing`` with the problem, naming its file.
    public func runs(_ query: RunQuery) async throws -> [Run] {
        try hosted.runs(query)
    }

    public func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error> {
        hosted.updates(of: id)
    }

    /// Cancels a run and returns once its host has taken the request in: a run this process
    /// executes at once, one another process executes within a few seconds (a run whose host
    /// does not answer is returned as it stands).
    public func cancel(id: RunID) async throws -> Run {
        try await hosted.cancel(id: id)
    }

    /// Replaces the run's tags from any process: the change is kept beside the record (which
    /// only the run's host writes) under the run folder's lock.
    public func setTags(of id: RunID, to tags: [String: String], ifMatch eTag: String?) async throws -> Run {
        try hosted.setTags(of: id, to: tags, ifMatch: eTag)
    }

    public func logs(of id: RunID, _ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        hosted.logs(of: id, options)
    }

    /// Why the run waits, workers restarting, the job starting, the run ending.
    public func events(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        hosted.events(of: id, follow: follow)
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
