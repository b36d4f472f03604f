extension RunSpec {
    /// Checks every rule a run spec must follow, including those of inline codespecs, and
    /// throws one error listing all that fail.
    ///
    /// References to stored codespecs are checked when the run is resolved against a store.
    public func validate() throws(TygerError) {
        try SpecProblem.throwing(problems())
    }

    func problems() -> [SpecProblem] {
        var problems = RunRules.targetProblems(at: ["job"], replicas: job.replicas, nodePool: job.nodePool)
        problems += inlineProblems(at: ["job"], codespec: job.codespec, kind: .job)
        problems += RunRules.jobProblems(buffers: job.buffers, tags: job.tags, bufferTtl: job.bufferTtl)
        if let worker {
            problems += RunRules.targetProblems(
                at: ["worker"], replicas: worker.replicas, nodePool: worker.nodePool)
            problems += inlineProblems(at: ["worker"], codespec: worker.codespec, kind: .worker)
        }
        problems += RunRules.runProblems(
            cluster: cluster, timeoutSeconds: timeoutSeconds, tags: tags, bufferAccessTtl: bufferAccessTtl)
        return problems
    }

    /// An inline codespec's own problems and its `maxReplicas`; a named one is checked when resolved.
    private func inlineProblems(at path: SpecPath, codespec: CodespecReference, kind: CodespecKind) -> [SpecProblem] {
        guard case .inline(var inline) = codespec else { return [] }
        // An inline codespec takes its kind from where it stands, as resolution does.
        inline.kind = kind
        let replicas = kind == .job ? job.replicas : worker?.replicas ?? 1
        return inline.problems(at: path / "codespec") + ReplicaRules.problems(codespec: inline, replicas: replicas, at: path)
    }
}

/// The rules of a run's targets and of the run itself, for unresolved and resolved runs alike.
enum RunRules {
    /// A target's replicas and node pool.
    static func targetProblems(at path: SpecPath, replicas: Int, nodePool: String?) -> [SpecProblem] {
        var problems: [SpecProblem] = []
        if replicas < 1 || replicas > RunSpec.maximumReplicas {
            problems.append(
                .init(path / "replicas", "replicas is \(replicas); allowed: 1 to \(RunSpec.maximumReplicas)"))
        }
        if let nodePool, nodePool.isEmpty {
            problems.append(.init(path / "nodePool", "the node pool must not be empty; remove the field to use the default"))
        }
        return problems
    }

    /// The job's buffer IDs, buffer tags and buffer TTL.
    static func jobProblems(buffers: [String: String], tags: [String: String], bufferTtl: String?) -> [SpecProblem] {
        var problems: [SpecProblem] = []
        for (name, id) in buffers.sorted(by: { $0.key < $1.key }) {
            if !NameRules.isBufferName(name) {
                problems.append(
                    .init(["job", "buffers", .key(name)], "\(quoted(name)) is not a valid buffer name; allowed: \(NameRules.bufferPattern)")
                )
            }
            if id.isEmpty {
                problems.append(.init(["job", "buffers", .key(name)], "the buffer ID must not be empty"))
            }
        }
        return problems + TagRules.problems(tags, at: ["job", "tags"]) + timeSpanProblems(bufferTtl, at: ["job", "bufferTtl"])
    }

    private static func timeSpanProblems(_ text: String?, at path: SpecPath) -> [SpecProblem] {
        guard let text, !NameRules.isTimeSpan(text) else { return [] }
        return [.init(path, "\(quoted(text)) is not a duration; allowed: \(NameRules.timeSpanPattern), such as 00:05:00 or 1.00:00:00")]
    }

    /// The cluster, the timeout, the run's tags and its buffer access TTL.
    static func runProblems(cluster: String?, timeoutSeconds: Int, tags: [String: String], bufferAccessTtl: String?)
        -> [SpecProblem]
    {
        var problems: [SpecProblem] = []
        if let cluster, cluster.isEmpty {
            problems.append(.init(["cluster"], "the cluster name must not be empty; remove the field to use the default"))
        }
        if timeoutSeconds < 1 || timeoutSeconds > RunSpec.maximumTimeoutSeconds {
            problems.append(
                .init(
                    ["timeoutSeconds"],
                    "timeoutSeconds is \(timeoutSeconds); allowed: 1 to \(RunSpec.maximumTimeoutSeconds) (ten years)"))
        }
        return problems + TagRules.problems(tags, at: ["tags"]) + timeSpanProblems(bufferAccessTtl, at: ["bufferAccessTtl"])
    }
}

/// The rule tying a target's replicas to its codespec's `maxReplicas`.
enum ReplicaRules {
    static func problems(codespec: Codespec, replicas: Int, at path: SpecPath) -> [SpecProblem] {
        guard let maxReplicas = codespec.maxReplicas, replicas > maxReplicas else { return [] }
        return [
            .init(
                path / "replicas",
                "replicas is \(replicas), but the codespec allows at most \(maxReplicas) (maxReplicas)"
            )
        ]
    }
}

/// The rules for run tags.
enum TagRules {
    static let maximumCount = 100

    static func problems(_ tags: [String: String], at path: SpecPath) -> [SpecProblem] {
        var problems: [SpecProblem] = []
        if tags.count > maximumCount {
            problems.append(.init(path, "there are \(tags.count) tags; allowed: at most \(maximumCount)"))
        }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) {
            if !NameRules.isTagKey(key) {
                problems.append(.init(path / key, "\(quoted(key)) is not a valid tag key; allowed: \(NameRules.tagKeyPattern)"))
            }
            if !NameRules.isTagValue(value) {
                problems.append(
                    .init(path / key, "\(quoted(value)) is not a valid tag value; allowed: \(NameRules.tagValuePattern)")
                )
            }
        }
        return problems
    }
}
