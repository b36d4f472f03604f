/// A run spec with its codespecs resolved: the exact versions the run executes.
///
/// A run stores this snapshot, so a codespec version created later never changes it.
public struct ResolvedRunSpec: Sendable, Hashable, Codable {
    /// The run spec as it was written.
    public var spec: RunSpec
    /// The job codespec the run executes.
    public var jobCodespec: Codespec
    /// The worker codespec, for a distributed run.
    public var workerCodespec: Codespec?

    /// Creates a resolved run spec; ``CodespecStore/resolve(_:)`` is the usual way.
    public init(spec: RunSpec, jobCodespec: Codespec, workerCodespec: Codespec? = nil) {
        self.spec = spec
        self.jobCodespec = jobCodespec
        self.workerCodespec = workerCodespec
    }

    /// Checks the run spec and both codespecs, whatever built this value: a backend calls it
    /// before any name in it becomes an environment variable, a process or a cluster object.
    ///
    /// - Throws: one ``TygerError`` listing every problem, or `.kindMismatch` when a codespec
    ///   has the wrong kind for its target.
    public func validate() throws(TygerError) {
        for (codespec, kind) in [(jobCodespec, CodespecKind.job), (workerCodespec, .worker)] {
            if let codespec, codespec.kind != kind {
                throw TygerError(
                    .kindMismatch, "the \(kind) target was given a \(codespec.kind) codespec",
                    location: SpecLocation(keyPath: "\(kind).codespec"))
            }
        }
        if spec.worker != nil, workerCodespec == nil {
            throw TygerError(
                .invalidSpec, "the run has a worker target but no worker codespec",
                location: SpecLocation(keyPath: "worker.codespec"))
        }
        // What runs are the resolved codespecs, so check the spec as if they stood inline.
        var executed = spec
        executed.job.codespec = .inline(jobCodespec)
        if let workerCodespec { executed.worker?.codespec = .inline(workerCodespec) }
        try executed.validate()
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
    /// Names resolve to their latest version at this moment; replicas are checked against
    /// each codespec's `maxReplicas`, and stored codespecs are validated again.
    public func resolve(_ spec: RunSpec) async throws -> ResolvedRunSpec {
        try spec.validate()
        let job = try await resolve(spec.job.codespec, as: .job)
        let worker: Codespec? =
            if let target = spec.worker { try await resolve(target.codespec, as: .worker) } else { nil }
        var problems = ReplicaRules.problems(codespec: job, replicas: spec.job.replicas, at: ["job"])
        if let worker, let target = spec.worker {
            problems += ReplicaRules.problems(codespec: worker, replicas: target.replicas, at: ["worker"])
        }
        // A stored codespec was valid when it was stored, but a store is a folder or a ConfigMap
        // that others can edit: its names become environment variables and Kubernetes fields,
        // so check it again before any backend sees it (inline ones were checked above).
        if case .named = spec.job.codespec {
            problems += job.problems(at: ["job", "codespec"])
        }
        if let worker, case .named? = spec.worker?.codespec {
            problems += worker.problems(at: ["worker", "codespec"])
        }
        try SpecProblem.throwing(problems)
        return ResolvedRunSpec(spec: spec, jobCodespec: job, workerCodespec: worker)
    }
}
