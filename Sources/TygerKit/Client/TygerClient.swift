/// The entry point of TygerKit: creates codespecs and runs, and follows them.
///
/// The client resolves codespec references through its store, checks the run against what
/// its backend can honour, snapshots the resolved codespecs into the run, and hands it to
/// the backend. It does not own the backend: whoever created the backend shuts it down.
///
/// ```swift
/// try await LocalBackend.withBackend { backend in
///     let client = TygerClient(store: FileCodespecStore(), backend: backend)
///     let run = try await client.createRun(SpecFile.decodeRun(contentsOf: url))
///     for try await line in client.logs(of: run.id, follow: true) { print(line) }
///     print(try await client.waitUntilTerminal(run.id).status)
/// }
/// ```
public struct TygerClient: Sendable {
    /// Where codespec versions live.
    public let store: any CodespecStore
    /// Where runs execute.
    public let backend: any ClusterBackend

    /// Creates a client over a store and a backend.
    public init(store: any CodespecStore, backend: any ClusterBackend) {
        self.store = store
        self.backend = backend
    }

    /// Stores a codespec version; see ``CodespecStore/create(_:at:)``.
    public func createCodespec(_ codespec: Codespec) async throws -> Codespec {
        try await store.create(codespec)
    }

    /// Resolves, checks and submits a run.
    ///
    /// - Throws: ``TygerError``: an invalid spec, an unresolvable reference, a kind mismatch,
    ///   too many replicas, or a request the backend cannot honour.
    public func createRun(_ spec: RunSpec) async throws -> Run {
        try await backend.submit(prepareRun(spec))
    }

    /// Resolves and checks a run for this client's backend without submitting it, so a
    /// caller can report every problem before anything starts.
    public func prepareRun(_ spec: RunSpec) async throws -> ResolvedRunSpec {
        let resolved = try await store.resolve(spec)
        try BackendRequirements.check(resolved, for: backend)
        try backend.validate(resolved)
        return resolved
    }

    /// The current record of a run.
    public func run(id: RunID) async throws -> Run { try await backend.run(id: id) }

    /// The runs `query` selects, newest first.
    public func runs(_ query: RunQuery = .all) async throws -> [Run] { try await backend.runs(query) }

    /// The run's record now and after every change, ending after the first terminal record.
    public func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error> { backend.updates(of: id) }

    /// Asks for a run to be canceled.
    public func cancel(id: RunID) async throws -> Run { try await backend.cancel(id: id) }

    /// The run's merged logs; with `follow`, until the run is terminal.
    public func logs(of id: RunID, follow: Bool = false) -> AsyncThrowingStream<RunLogLine, any Error> {
        backend.logs(of: id, RunLogOptions(follow: follow))
    }

    /// The run's merged logs as `options` select them.
    public func logs(of id: RunID, _ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        backend.logs(of: id, options)
    }

    /// What happened to the run and why; with `follow`, until the run is terminal.
    public func events(of id: RunID, follow: Bool = false) -> AsyncThrowingStream<RunEvent, any Error> {
        backend.events(of: id, follow: follow)
    }

    /// Replaces the run's tags, only if its ``Run/eTag`` is still `eTag` when given.
    public func setTags(of id: RunID, to tags: [String: String], ifMatch eTag: String? = nil) async throws -> Run {
        try await backend.setTags(of: id, to: tags, ifMatch: eTag)
    }

    /// How many runs `query` selects in each status.
    public func counts(_ query: RunQuery = .all) async throws -> [RunStatus: Int] {
        try await backend.counts(query)
    }

    /// Waits until the run is terminal and returns its final record.
    public func waitUntilTerminal(_ id: RunID) async throws -> Run { try await backend.waitUntilTerminal(id) }
}

/// The checks that depend on the backend a run is going to: each capability a backend lacks
/// refuses the fields that need it.
enum BackendRequirements {
    static func check(_ run: ResolvedRunSpec, for backend: any ClusterBackend) throws(TygerError) {
        let capabilities = backend.capabilities
        var problems = codespecProblems(run.job.codespec, at: ["job", "codespec"], backend: backend)
        if let worker = run.worker {
            problems += codespecProblems(worker.codespec, at: ["worker", "codespec"], backend: backend)
        }
        if !capabilities.nodePools {
            let pools: [(SpecPath, String?)] = [(["job", "nodePool"], run.job.nodePool), (["worker", "nodePool"], run.worker?.nodePool)]
            for case (let path, _?) in pools {
                problems.append(.init(path, "the \(backend.name) backend has no node pools; remove the field"))
            }
        }
        if !capabilities.buffers {
            let unsupported = "moves no buffer data (buffer transport is not part of TygerKit yet); remove the field"
            if !(run.job.codespec.buffers?.isEmpty ?? true) {
                problems.append(.init(["job", "codespec", "buffers"], "the \(backend.name) backend \(unsupported)"))
            }
            if !run.job.codespec.sockets.isEmpty {
                problems.append(.init(["job", "codespec", "sockets"], "the \(backend.name) backend \(unsupported)"))
            }
            if !run.job.buffers.isEmpty {
                problems.append(.init(["job", "buffers"], "the \(backend.name) backend \(unsupported)"))
            }
        }
        if !capabilities.clusters, run.cluster != nil {
            problems.append(
                .init(["cluster"], "the \(backend.name) backend serves one cluster and cannot choose another; remove the field"))
        }
        try SpecProblem.throwing(problems)
    }

    private static func codespecProblems(_ codespec: Codespec, at path: SpecPath, backend: any ClusterBackend)
        -> [SpecProblem]
    {
        let capabilities = backend.capabilities
        var problems: [SpecProblem] = []
        if capabilities.containerImages, (codespec.image ?? "").isEmpty {
            problems.append(
                .init(path / "image", "the \(backend.name) backend runs container images, and this codespec has none")
            )
        }
        if !capabilities.containerImages, codespec.command.isEmpty {
            problems.append(
                .init(
                    path / "command",
                    "the \(backend.name) backend runs commands, not images, and this codespec has no command"
                )
            )
        }
        if !capabilities.gpus, let gpu = codespec.resources?.gpu, gpu > 0 {
            problems.append(.init(path / "resources" / "gpu", "the \(backend.name) backend cannot provide GPUs"))
        }
        return problems
    }
}
