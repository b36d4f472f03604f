public import Foundation

/// A run as its backend reports it: what it executes, and where it is in its life.
///
/// Its JSON form is Tyger's run model, so scripts and clients written for Tyger read it
/// unchanged: an integer `id`, `status`, `statusReason`, `runningCount`, the three times,
/// `job` and `worker` with their codespecs inline (as Tyger shows them once resolved),
/// `cluster`, `timeoutSeconds`, `tags` and `eTag`. What TygerKit adds (the backend, worker
/// readiness, the references the codespecs were resolved from) sits under `tygerkit`, a key
/// Tyger does not use, so Tyger's parsers ignore it.
public struct Run: Sendable, Hashable, Identifiable {
    /// The run's identifier, unique within its backend.
    public var id: RunID
    /// The run with the exact codespec versions it executes, and its current tags.
    public var spec: ResolvedRunSpec
    /// Where the run is in its life.
    public var status: RunStatus
    /// Why the run has its status, for example `Main exited with code 3`; while the run is
    /// pending or running, what it waits for.
    public var statusReason: String?
    /// How many job replicas are executing, once the job has started.
    public var runningCount: Int?
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
        runningCount: Int? = nil,
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
        self.runningCount = runningCount
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.workers = workers
        self.backend = backend
    }

    /// The moment the run times out.
    public var deadline: Date { createdAt.addingTimeInterval(TimeInterval(spec.timeoutSeconds)) }

    /// The run's tags, for finding it later; ``ClusterBackend/setTags(of:to:ifMatch:)`` changes them.
    public var tags: [String: String] { spec.tags }

    /// A version of the run's state, as Tyger computes one: it changes when the status, its
    /// reason, the times, the placement or the tags change. Pass it to
    /// ``ClusterBackend/setTags(of:to:ifMatch:)`` to change tags only if nothing changed since
    /// the run was read. A decimal number, stable across processes and versions of TygerKit.
    public var eTag: String {
        // Times count in milliseconds, the precision records keep, so a run read back from its
        // JSON has the same eTag.
        func milliseconds(_ date: Date?) -> String {
            date.map { String(Int64(($0.timeIntervalSince1970 * 1000).rounded())) } ?? ""
        }
        var text = "\(id)|\(status)|\(statusReason ?? "")|\(runningCount.map(String.init) ?? "")"
        text += "|\(milliseconds(startedAt))|\(milliseconds(finishedAt))"
        text += "|\(spec.cluster ?? "")|\(spec.job.nodePool ?? "")|\(spec.worker?.nodePool ?? "")"
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) { text += "|\(key)=\(value)" }
        return String(FNV1a.hash(text))
    }
}

extension Run {
    /// The error for a tag change that names an ``eTag`` the run no longer has; the words
    /// are Tyger's, so scripts that look for them keep working.
    public static func staleETag(_ id: RunID, given: String, current: String) -> TygerError {
        TygerError(
            .conflict,
            "the server's ETag does not match the provided ETag: run \(id) changed since it was read "
                + "(given \(given), now \(current)); read the run again and retry")
    }
}

extension Run: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, status, statusReason, runningCount, createdAt, startedAt, finishedAt, job, worker, cluster
        case timeoutSeconds, tags, eTag, bufferAccessTtl, tygerkit
    }

    private enum TargetKeys: String, CodingKey {
        case codespec, buffers, tags, bufferTtl, nodePool, replicas
    }

    /// What TygerKit adds to Tyger's model.
    private struct Additions: Codable {
        var backend: String
        var workers: WorkerProgress?
        /// The references the codespecs were resolved from (`name` or `name/versions/N`).
        var jobReference: String?
        var workerReference: String?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let additions = try container.decode(Additions.self, forKey: .tygerkit)
        let job = try container.nestedContainer(keyedBy: TargetKeys.self, forKey: .job)
        var workers: ResolvedRunSpec.Workers?
        if container.contains(.worker) {
            let worker = try container.nestedContainer(keyedBy: TargetKeys.self, forKey: .worker)
            workers = ResolvedRunSpec.Workers(
                codespec: try worker.decode(Codespec.self, forKey: .codespec), reference: additions.workerReference,
                replicas: try worker.decodeIfPresent(Int.self, forKey: .replicas) ?? 1,
                nodePool: try worker.decodeIfPresent(String.self, forKey: .nodePool))
        }
        let spec = try ResolvedRunSpec(
            job: ResolvedRunSpec.Job(
                codespec: try job.decode(Codespec.self, forKey: .codespec), reference: additions.jobReference,
                replicas: try job.decodeIfPresent(Int.self, forKey: .replicas) ?? 1,
                nodePool: try job.decodeIfPresent(String.self, forKey: .nodePool),
                buffers: try job.decodeIfPresent([String: String].self, forKey: .buffers) ?? [:],
                tags: try job.decodeIfPresent([String: String].self, forKey: .tags) ?? [:],
                bufferTtl: try job.decodeIfPresent(String.self, forKey: .bufferTtl)),
            worker: workers,
            cluster: try container.decodeIfPresent(String.self, forKey: .cluster),
            timeoutSeconds: try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds)
                ?? RunSpec.defaultTimeoutSeconds,
            tags: try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:],
            bufferAccessTtl: try container.decodeIfPresent(String.self, forKey: .bufferAccessTtl))
        self.init(
            id: try container.decode(RunID.self, forKey: .id),
            spec: spec,
            status: try container.decode(RunStatus.self, forKey: .status),
            statusReason: try container.decodeIfPresent(String.self, forKey: .statusReason),
            runningCount: try container.decodeIfPresent(Int.self, forKey: .runningCount),
            createdAt: try container.decode(Date.self, forKey: .createdAt),
            startedAt: try container.decodeIfPresent(Date.self, forKey: .startedAt),
            finishedAt: try container.decodeIfPresent(Date.self, forKey: .finishedAt),
            workers: additions.workers,
            backend: additions.backend)
    }

    /// Writes Tyger's fields in Tyger's order, then TygerKit's additions.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(statusReason, forKey: .statusReason)
        try container.encodeIfPresent(runningCount, forKey: .runningCount)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(startedAt, forKey: .startedAt)
        try container.encodeIfPresent(finishedAt, forKey: .finishedAt)
        var job = container.nestedContainer(keyedBy: TargetKeys.self, forKey: .job)
        try job.encode(spec.job.codespec, forKey: .codespec)
        if !spec.job.buffers.isEmpty { try job.encode(SortedStringMap(spec.job.buffers), forKey: .buffers) }
        if !spec.job.tags.isEmpty { try job.encode(SortedStringMap(spec.job.tags), forKey: .tags) }
        try job.encodeIfPresent(spec.job.bufferTtl, forKey: .bufferTtl)
        try job.encodeIfPresent(spec.job.nodePool, forKey: .nodePool)
        try job.encode(spec.job.replicas, forKey: .replicas)
        if let workers = spec.worker {
            var worker = container.nestedContainer(keyedBy: TargetKeys.self, forKey: .worker)
            try worker.encode(workers.codespec, forKey: .codespec)
            try worker.encodeIfPresent(workers.nodePool, forKey: .nodePool)
            try worker.encode(workers.replicas, forKey: .replicas)
        }
        try container.encodeIfPresent(spec.cluster, forKey: .cluster)
        try container.encode(spec.timeoutSeconds, forKey: .timeoutSeconds)
        if !tags.isEmpty { try container.encode(SortedStringMap(tags), forKey: .tags) }
        try container.encode(eTag, forKey: .eTag)
        try container.encodeIfPresent(spec.bufferAccessTtl, forKey: .bufferAccessTtl)
        try container.encode(
            Additions(
                backend: backend, workers: workers, jobReference: spec.job.reference,
                workerReference: spec.worker?.reference),
            forKey: .tygerkit)
    }
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
