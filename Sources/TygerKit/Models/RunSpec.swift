/// What a run file asks for: a job, optionally workers, and where and how long to run.
///
/// ```swift
/// let run = RunSpec(
///     job: JobTarget(codespec: .named("trainer", version: nil)),
///     worker: WorkerSpec(codespec: .named("rpc-worker", version: 2), replicas: 3)
/// )
/// ```
public struct RunSpec: Sendable, Hashable, Codable {
    /// The default timeout, 12 hours, counted from creation.
    public static let defaultTimeoutSeconds = 43_200
    /// The longest timeout a run may have: ten years, which every backend can represent.
    public static let maximumTimeoutSeconds = 315_360_000
    /// The most replicas a job or worker target may have on any backend; a backend may
    /// hold fewer (the local backend checks the ports, processes and descriptors it has).
    public static let maximumReplicas = 100_000

    /// The job, which decides the run's status.
    public var job: JobTarget
    /// The workers; `nil` for a run without workers.
    public var worker: WorkerSpec?
    /// The target cluster's name, when the backend has several.
    public var cluster: String?
    /// How long the run may take from creation before it is canceled or failed.
    public var timeoutSeconds: Int
    /// Tags for finding runs later.
    public var tags: [String: String]
    /// How long the run's access to its buffers lasts, as a TimeSpan such as `01:00:00`.
    public var bufferAccessTtl: String?

    /// Creates a run spec.
    public init(
        job: JobTarget,
        worker: WorkerSpec? = nil,
        cluster: String? = nil,
        timeoutSeconds: Int = RunSpec.defaultTimeoutSeconds,
        tags: [String: String] = [:],
        bufferAccessTtl: String? = nil
    ) {
        self.job = job
        self.worker = worker
        self.cluster = cluster
        self.timeoutSeconds = timeoutSeconds
        self.tags = tags
        self.bufferAccessTtl = bufferAccessTtl
    }

    /// True when the run has workers.
    public var isDistributed: Bool { worker != nil }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case job, worker, cluster, timeoutSeconds, tags, bufferAccessTtl
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        job = try container.decode(JobTarget.self, forKey: .job)
        worker = try container.decodeIfPresent(WorkerSpec.self, forKey: .worker)
        cluster = try container.decodeIfPresent(String.self, forKey: .cluster)
        timeoutSeconds = try container.decodeIfPresent(Int.self, forKey: .timeoutSeconds) ?? Self.defaultTimeoutSeconds
        tags = try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:]
        bufferAccessTtl = try container.decodeIfPresent(String.self, forKey: .bufferAccessTtl)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(job, forKey: .job)
        try container.encodeIfPresent(worker, forKey: .worker)
        try container.encodeIfPresent(cluster, forKey: .cluster)
        try container.encode(timeoutSeconds, forKey: .timeoutSeconds)
        if !tags.isEmpty { try container.encode(SortedStringMap(tags), forKey: .tags) }
        try container.encodeIfPresent(bufferAccessTtl, forKey: .bufferAccessTtl)
    }
}
