/// A run with its codespecs resolved: the exact versions the run executes, each held once.
///
/// A run stores this snapshot, so a codespec version created later never changes it. A
/// value of this type is always valid: its initializers (and decoding) check every rule of
/// the run and both codespecs, so backends take it as it is.
///
/// ```swift
/// let resolved = try await store.resolve(runSpec)        // the usual way
/// let inline = try ResolvedRunSpec(job: .init(codespec: Codespec(command: ["echo", "hi"])))
/// ```
public struct ResolvedRunSpec: Sendable, Hashable {
    /// The job of a resolved run: the codespec it executes and how.
    public struct Job: Sendable, Hashable {
        /// The job codespec, with its version when it came from a store.
        public let codespec: Codespec
        /// The reference the codespec was resolved from (`trainer`, `trainer/versions/3`), or
        /// `nil` for an inline codespec.
        public let reference: String?
        /// How many job replicas run.
        public let replicas: Int
        /// The node pool, when the backend has pools.
        public let nodePool: String?
        /// Buffer IDs for the codespec's buffer parameters, by parameter name.
        public let buffers: [String: String]
        /// Tags for buffers the run creates.
        public let tags: [String: String]
        /// How long buffers the run creates live (a TimeSpan).
        public let bufferTtl: String?

        /// Creates a job; ``ResolvedRunSpec/init(job:worker:cluster:timeoutSeconds:tags:bufferAccessTtl:)`` checks it.
        public init(
            codespec: Codespec, reference: String? = nil, replicas: Int = 1, nodePool: String? = nil,
            buffers: [String: String] = [:], tags: [String: String] = [:], bufferTtl: String? = nil
        ) {
            self.codespec = codespec
            self.reference = reference
            self.replicas = replicas
            self.nodePool = nodePool
            self.buffers = buffers
            self.tags = tags
            self.bufferTtl = bufferTtl
        }
    }

    /// The workers of a resolved distributed run.
    public struct Workers: Sendable, Hashable {
        /// The worker codespec, with its version when it came from a store.
        public let codespec: Codespec
        /// The reference the codespec was resolved from, or `nil` for an inline codespec.
        public let reference: String?
        /// How many worker replicas run.
        public let replicas: Int
        /// The node pool, when the backend has pools.
        public let nodePool: String?

        /// Creates workers; ``ResolvedRunSpec/init(job:worker:cluster:timeoutSeconds:tags:bufferAccessTtl:)`` checks them.
        public init(codespec: Codespec, reference: String? = nil, replicas: Int = 1, nodePool: String? = nil) {
            self.codespec = codespec
            self.reference = reference
            self.replicas = replicas
            self.nodePool = nodePool
        }
    }

    /// The job, which decides the run's status.
    public let job: Job
    /// The workers; `nil` for a run without workers.
    public let worker: Workers?
    /// The target cluster's name, when the backend has several.
    public let cluster: String?
    /// How long the run may take from creation before it is canceled or failed.
    public let timeoutSeconds: Int
    /// Tags for finding the run later.
    public let tags: [String: String]
    /// How long the run's access to its buffers lasts (a TimeSpan).
    public let bufferAccessTtl: String?

    /// Creates a resolved run and checks it.
    ///
    /// - Throws: ``TygerError``: ``TygerError/Code/kindMismatch`` when a codespec has the wrong
    ///   kind for its target; otherwise one ``TygerError/Code/invalidSpec`` error listing every
    ///   rule the run or its codespecs break.
    public init(
        job: Job, worker: Workers? = nil, cluster: String? = nil,
        timeoutSeconds: Int = RunSpec.defaultTimeoutSeconds, tags: [String: String] = [:], bufferAccessTtl: String? = nil
    ) throws(TygerError) {
        self.job = job
        self.worker = worker
        self.cluster = cluster
        self.timeoutSeconds = timeoutSeconds
        self.tags = tags
        self.bufferAccessTtl = bufferAccessTtl
        try checkKinds()
        try SpecProblem.throwing(problems())
    }

    /// Resolves `spec`'s targets to the given codespecs and checks the result.
    ///
    /// - Throws: as ``init(job:worker:cluster:timeoutSeconds:tags:bufferAccessTtl:)``, and when the run has a
    ///   worker target but no worker codespec, or the reverse.
    public init(spec: RunSpec, jobCodespec: Codespec, workerCodespec: Codespec? = nil) throws(TygerError) {
        let workers: Workers?
        switch (spec.worker, workerCodespec) {
        case (let target?, let codespec?):
            workers = Workers(
                codespec: codespec, reference: target.codespec.text, replicas: target.replicas,
                nodePool: target.nodePool)
        case (nil, nil):
            workers = nil
        case (.some, nil):
            throw TygerError(
                .invalidSpec, "the run has a worker target but no worker codespec",
                location: SpecLocation(keyPath: "worker.codespec"))
        case (nil, .some):
            throw TygerError(
                .invalidSpec, "a worker codespec was given, but the run has no worker target",
                location: SpecLocation(keyPath: "worker"))
        }
        try self.init(
            job: Job(
                codespec: jobCodespec, reference: spec.job.codespec.text, replicas: spec.job.replicas,
                nodePool: spec.job.nodePool, buffers: spec.job.buffers, tags: spec.job.tags, bufferTtl: spec.job.bufferTtl),
            worker: workers, cluster: spec.cluster, timeoutSeconds: spec.timeoutSeconds, tags: spec.tags,
            bufferAccessTtl: spec.bufferAccessTtl)
    }

    /// True when the run has workers.
    public var isDistributed: Bool { worker != nil }

    /// The same run with other tags, checked as tags always are.
    public func replacingTags(_ tags: [String: String]) throws(TygerError) -> ResolvedRunSpec {
        try ResolvedRunSpec(
            job: job, worker: worker, cluster: cluster, timeoutSeconds: timeoutSeconds, tags: tags,
            bufferAccessTtl: bufferAccessTtl)
    }

    /// The run spec this resolved run answers, with each codespec as its reference (or inline).
    public var runSpec: RunSpec {
        RunSpec(
            job: JobTarget(
                codespec: Self.reference(job.reference, job.codespec), nodePool: job.nodePool,
                replicas: job.replicas, buffers: job.buffers, tags: job.tags, bufferTtl: job.bufferTtl),
            worker: worker.map {
                WorkerSpec(codespec: Self.reference($0.reference, $0.codespec), nodePool: $0.nodePool, replicas: $0.replicas)
            },
            cluster: cluster, timeoutSeconds: timeoutSeconds, tags: tags, bufferAccessTtl: bufferAccessTtl)
    }

    private static func reference(_ text: String?, _ codespec: Codespec) -> CodespecReference {
        text.flatMap { try? CodespecReference(parsing: $0) } ?? .inline(codespec)
    }

    private func checkKinds() throws(TygerError) {
        if job.codespec.kind != .job {
            throw Self.kindMismatch(.job, got: job.codespec.kind)
        }
        if let worker, worker.codespec.kind != .worker {
            throw Self.kindMismatch(.worker, got: worker.codespec.kind)
        }
    }

    private static func kindMismatch(_ kind: CodespecKind, got: CodespecKind) -> TygerError {
        TygerError(
            .kindMismatch, "the \(kind) target was given a \(got) codespec",
            location: SpecLocation(keyPath: "\(kind).codespec"))
    }

    private func problems() -> [SpecProblem] {
        var problems = RunRules.targetProblems(at: ["job"], replicas: job.replicas, nodePool: job.nodePool)
        problems += job.codespec.problems(at: ["job", "codespec"])
        problems += ReplicaRules.problems(codespec: job.codespec, replicas: job.replicas, at: ["job"])
        problems += RunRules.jobProblems(buffers: job.buffers, tags: job.tags, bufferTtl: job.bufferTtl)
        if let worker {
            problems += RunRules.targetProblems(
                at: ["worker"], replicas: worker.replicas, nodePool: worker.nodePool)
            problems += worker.codespec.problems(at: ["worker", "codespec"])
            problems += ReplicaRules.problems(codespec: worker.codespec, replicas: worker.replicas, at: ["worker"])
        }
        problems += RunRules.runProblems(
            cluster: cluster, timeoutSeconds: timeoutSeconds, tags: tags, bufferAccessTtl: bufferAccessTtl)
        return problems
    }
}

extension ResolvedRunSpec: Codable {
    private enum CodingKeys: String, CodingKey {
        case job, worker, cluster, timeoutSeconds, tags, bufferAccessTtl
    }

    private enum TargetKeys: String, CodingKey {
        case codespec, reference, replicas, nodePool, buffers, tags, bufferTtl
    }

    /// Decodes a resolved run and checks it, as the initializers do: a stored run that breaks
    /// a rule (a file edited by hand) is an error, not a run.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let job = try container.nestedContainer(keyedBy: TargetKeys.self, forKey: .job)
        var workers: Workers?
        if container.contains(.worker) {
            let worker = try container.nestedContainer(keyedBy: TargetKeys.self, forKey: .worker)
            workers = Workers(
                codespec: try worker.decode(Codespec.self, forKey: .codespec),
                reference: try worker.decodeIfPresent(String.self, forKey: .reference),
                replicas: try worker.decode(Int.self, forKey: .replicas),
                nodePool: try worker.decodeIfPresent(String.self, forKey: .nodePool))
        }
        try self.init(
            job: Job(
                codespec: try job.decode(Codespec.self, forKey: .codespec),
                reference: try job.decodeIfPresent(String.self, forKey: .reference),
                replicas: try job.decode(Int.self, forKey: .replicas),
                nodePool: try job.decodeIfPresent(String.self, forKey: .nodePool),
                buffers: try job.decodeIfPresent([String: String].self, forKey: .buffers) ?? [:],
                tags: try job.decodeIfPresent([String: String].self, forKey: .tags) ?? [:],
                bufferTtl: try job.decodeIfPresent(String.self, forKey: .bufferTtl)),
            worker: workers,
            cluster: try container.decodeIfPresent(String.self, forKey: .cluster),
            timeoutSeconds: try container.decode(Int.self, forKey: .timeoutSeconds),
            tags: try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:],
            bufferAccessTtl: try container.decodeIfPresent(String.self, forKey: .bufferAccessTtl))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var jobContainer = container.nestedContainer(keyedBy: TargetKeys.self, forKey: .job)
        try jobContainer.encode(job.codespec, forKey: .codespec)
        try jobContainer.encodeIfPresent(job.reference, forKey: .reference)
        try jobContainer.encode(job.replicas, forKey: .replicas)
        try jobContainer.encodeIfPresent(job.nodePool, forKey: .nodePool)
        if !job.buffers.isEmpty { try jobContainer.encode(SortedStringMap(job.buffers), forKey: .buffers) }
        if !job.tags.isEmpty { try jobContainer.encode(SortedStringMap(job.tags), forKey: .tags) }
        try jobContainer.encodeIfPresent(job.bufferTtl, forKey: .bufferTtl)
        if let worker {
            var workerContainer = container.nestedContainer(keyedBy: TargetKeys.self, forKey: .worker)
            try workerContainer.encode(worker.codespec, forKey: .codespec)
            try workerContainer.encodeIfPresent(worker.reference, forKey: .reference)
            try workerContainer.encode(worker.replicas, forKey: .replicas)
            try workerContainer.encodeIfPresent(worker.nodePool, forKey: .nodePool)
        }
        try container.encodeIfPresent(cluster, forKey: .cluster)
        try container.encode(timeoutSeconds, forKey: .timeoutSeconds)
        if !tags.isEmpty { try container.encode(SortedStringMap(tags), forKey: .tags) }
        try container.encodeIfPresent(bufferAccessTtl, forKey: .bufferAccessTtl)
    }
}

extension CodespecStore {
    /// Resolves a codespec reference standing in a job or worker target.
    ///
    /// - Throws: ``TygerError``: not found, version not found, or ``TygerError/Code/kindMismatch``
    ///   when a job target refers to a worker codespec or the reverse.
    public func resolve(_ reference: CodespecReference, as kind: CodespecKind) async throws -> Codespec {
        switch reference {
        case .inline(var codespec):
            codespec.kind = kind
            return codespec
        case .named(let name, let version):
            let codespec = try await self.codespec(named: name, version: version)
            guard codespec.kind == kind else {
                let text = reference.text ?? name
                throw TygerError(
                    .kindMismatch,
                    "'\(text)' is a \(codespec.kind) codespec, but the \(kind) target needs a \(kind) codespec",
                    location: SpecLocation(keyPath: "\(kind).codespec")
                )
            }
            return codespec
        }
    }

    /// Validates a run spec and resolves its codespecs against this store.
    ///
    /// Names resolve to their latest version at this moment. The result is checked as a whole
    /// (replicas against each codespec's `maxReplicas`, and the stored codespecs again: a store
    /// is a folder or a ConfigMap that others can edit).
    public func resolve(_ spec: RunSpec) async throws -> ResolvedRunSpec {
        try spec.validate()
        let job = try await resolve(spec.job.codespec, as: .job)
        let worker: Codespec? =
            if let target = spec.worker { try await resolve(target.codespec, as: .worker) } else { nil }
        return try ResolvedRunSpec(spec: spec, jobCodespec: job, workerCodespec: worker)
    }
}
