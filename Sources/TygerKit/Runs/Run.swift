public import Foundation

/// A run as its backend reports it: what it executes, and where it is in its life.
public struct Run: Sendable, Hashable, Codable, Identifiable {
    /// The run's identifier, unique within its backend.
    public var id: RunID
    /// The run spec with the exact codespec versions it executes.
    public var spec: ResolvedRunSpec
    /// Where the run is in its life.
    public var status: RunStatus
    /// Why the run has its status, for example `Main exited with code 3`.
    public var statusReason: String?
    /// When the run was created; the timeout counts from here.
    public var createdAt: Date
    /// When the job started executing.
    public var startedAt: Date?
    /// When the run reached a terminal status.
    public var finishedAt: Date?
    /// How many worker replicas are up, for a distributed run.
    public var workers: WorkerProgress?
    /// The name of the backend that executes the run.
    public var backend: String

    /// Creates a run record; backends do this when a run is submitted.
    public init(
        id: RunID,
        spec: ResolvedRunSpec,
        status: RunStatus = .pending,
        statusReason: String? = nil,
        createdAt: Date,
        startedAt: Date? = nil,
        finishedAt: Date? = nil,
        workers: WorkerProgress? = nil,
        backend: String
    ) {
        self.id = id
        self.spec = spec
        self.status = status
        self.statusReason = statusReason
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.workers = workers
        self.backend = backend
    }

    /// The moment the run times out.
    public var deadline: Date { createdAt.addingTimeInterval(TimeInterval(spec.timeoutSeconds)) }
}

/// How many of a distributed run's worker replicas are up: every endpoint accepts connections.
public struct WorkerProgress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Replicas whose endpoints all accept connections.
    public var ready: Int
    /// Replicas the run asked for.
    public var total: Int

    /// Creates a progress value.
    public init(ready: Int, total: Int) {
        self.ready = ready
        self.total = total
    }

    public var description: String { "workers ready \(ready)/\(total)" }
}
