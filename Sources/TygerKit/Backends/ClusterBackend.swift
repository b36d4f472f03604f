/// Where runs execute: processes on this machine, pods on a cluster, or a test double.
///
/// A backend receives runs whose codespecs are already resolved and validated (see
/// ``TygerClient``), executes them following the distributed-run contract, and reports
/// their status. Backends are passed in, never installed globally:
///
/// ```swift
/// let client = TygerClient(store: FileCodespecStore(), backend: LocalBackend())
/// ```
///
/// Errors thrown are ``TygerError``s; an unknown run ID is ``TygerError/Code/runNotFound``.
public protocol ClusterBackend: Sendable {
    /// A short name for messages and run records: `local`, `kubernetes`.
    var name: String { get }

    /// What this backend can honour.
    var capabilities: BackendCapabilities { get }

    /// Starts executing a run and returns its first record (status `Pending`).
    func submit(_ spec: ResolvedRunSpec) async throws -> Run

    /// The current record of a run.
    func run(id: String) async throws -> Run

    /// The most recent runs, newest first.
    func runs(limit: Int?) async throws -> [Run]

    /// The run's record now and after every change, ending after the first terminal record.
    func updates(of id: String) -> AsyncThrowingStream<Run, any Error>

    /// Asks for the run to be canceled and returns its record; canceling a terminal run changes nothing.
    func cancel(id: String) async throws -> Run

    /// The run's merged logs so far; with `follow`, also new lines until the run is terminal.
    func logs(of id: String, follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error>
}

extension ClusterBackend {
    /// Waits until the run is terminal and returns its final record.
    public func waitUntilTerminal(_ id: String) async throws -> Run {
        var last: Run?
        for try await run in updates(of: id) { last = run }
        guard let last, last.status.isTerminal else { return try await run(id: id) }
        return last
    }
}
