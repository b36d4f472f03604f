/// Where runs execute: processes on this machine, pods on a cluster, or a test double.
///
/// A backend receives runs whose codespecs are already resolved and validated (a
/// ``ResolvedRunSpec`` is valid by construction; ``TygerClient`` also checks it against the
/// backend's ``capabilities``), executes them following the distributed-run contract, and
/// reports their status. The contract's rules live in TygerKit, so a backend is a thin
/// adapter: ``RunEnding`` gives every terminal status and reason, ``RunEnvironment`` every
/// process environment, ``DiscoveryVariables`` the discovery lists, ``RunID`` the IDs.
///
/// Backends are passed in, never installed globally, and shut down by their owner:
///
/// ```swift
/// try await LocalBackend.withBackend { backend in
///     let client = TygerClient(store: FileCodespecStore(), backend: backend)
///     let run = try await client.createRun(spec)
///     print(try await client.waitUntilTerminal(run.id).status)
/// }
/// ```
///
/// Reads (``run(id:)``, ``runs(_:)``, ``updates(of:)``, ``logs(of:follow:)``) never change
/// anything. Errors thrown are ``TygerError``s; an unknown run ID is
/// ``TygerError/Code/runNotFound``.
public protocol ClusterBackend: Sendable {
    /// A short name for messages and run records: `local`, `kubernetes`.
    var name: String { get }

    /// What this backend can honour; ``TygerClient`` refuses runs that ask for more.
    var capabilities: BackendCapabilities { get }

    /// Checks what only this backend knows it cannot execute (names a cluster refuses, for
    /// example), without submitting anything; ``TygerClient`` calls it before ``submit(_:)``.
    func validate(_ spec: ResolvedRunSpec) throws

    /// Starts executing a run and returns its first record (status `Pending`).
    func submit(_ spec: ResolvedRunSpec) async throws -> Run

    /// The current record of a run.
    func run(id: RunID) async throws -> Run

    /// The runs `query` selects, newest first.
    func runs(_ query: RunQuery) async throws -> [Run]

    /// The run's record now and after every change, ending after the first terminal record.
    func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error>

    /// Asks for the run to be canceled and returns its record; canceling a terminal run changes nothing.
    func cancel(id: RunID) async throws -> Run

    /// Replaces the run's tags, only if the run's ``Run/eTag`` is still `eTag` when given.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/conflict`` when the run changed
    ///   since `eTag` was read; ``TygerError/Code/invalidSpec`` for tags that break the rules.
    func setTags(of id: RunID, to tags: [String: String], ifMatch eTag: String?) async throws -> Run

    /// The run's merged logs as `options` select them.
    func logs(of id: RunID, _ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error>

    /// What happened to the run and why, so far; with `follow`, also new events until the run
    /// is terminal.
    func events(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunEvent, any Error>

    /// Stops what the backend runs for its owner and releases its resources; called once,
    /// when the backend is no longer used. What happens to runs still executing is the
    /// backend's to document (the local backend cancels them; a cluster keeps running them).
    func shutdown() async
}

extension ClusterBackend {
    /// Nothing beyond ``capabilities`` to check.
    public func validate(_ spec: ResolvedRunSpec) throws {}

    /// Nothing to release.
    public func shutdown() async {}

    /// No events to tell.
    public func events(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        AsyncThrowingStream { $0.finish() }
    }

    /// The run's merged logs so far; with `follow`, also new lines until the run is terminal.
    public func logs(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        logs(of: id, RunLogOptions(follow: follow))
    }

    /// How many runs `query` selects in each status (statuses without runs are left out).
    public func counts(_ query: RunQuery) async throws -> [RunStatus: Int] {
        var counts: [RunStatus: Int] = [:]
        for run in try await runs(query.unlimited) { counts[run.status, default: 0] += 1 }
        return counts
    }

    /// The most recent runs, newest first, at most `limit` of them.
    ///
    /// - Throws: ``TygerError`` when `limit` is less than 1.
    public func runs(limit: Int? = nil) async throws -> [Run] {
        try await runs(RunQuery(limit: limit))
    }

    /// Waits until the run is terminal and returns its final record.
    public func waitUntilTerminal(_ id: RunID) async throws -> Run {
        var last: Run?
        for try await run in updates(of: id) { last = run }
        guard let last, last.status.isTerminal else { return try await run(id: id) }
        return last
    }
}
