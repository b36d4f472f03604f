import Foundation
public import Logging
import Synchronization
public import TygerKit

/// Runs on a Kubernetes cluster: the job as a Job, workers as a StatefulSet with a headless
/// Service, the run's record as a ConfigMap; status comes from watches, not polling.
///
/// Everything goes to the namespace of the backend's ``client``; ``codespecStore`` keeps
/// codespecs there too, so the two cannot drift apart.
///
/// ```swift
/// try await KubernetesBackend.withBackend(kubernetes: .automatic()) { backend in
///     let client = TygerClient(store: backend.codespecStore, backend: backend)
///     let run = try await client.createRun(spec)
///     print(try await client.waitUntilTerminal(run.id).status)
/// }
/// ```
///
/// ## Finishing a run
/// Reads (``run(id:)``, ``runs(_:)``, ``updates(of:)``, ``logs(of:follow:)``) never change
/// the cluster. A run's finishing work (removing its workers once the job has ended, and
/// recording the final status in the run's record) is done by the backend that submitted
/// it: it supervises each run it submits until the run ends or the backend shuts down.
/// Several supervisors of one run are harmless, as both steps are idempotent. When no
/// supervisor is left (the submitting process exited), Kubernetes cleans up by itself: the
/// Job's `activeDeadlineSeconds` ends an overdue run, its `ttlSecondsAfterFinished` deletes it
/// after it finished, and the workers, owned by the Job, are garbage-collected with it.
public final class KubernetesBackend: ClusterBackend {
    /// How runs become Kubernetes objects, and where the backend reports what it does.
    public struct Configuration: Sendable {
        /// Node pools, labels, the wait image and the TTL of finished Jobs.
        public var render = KubernetesRenderOptions()
        /// Where the backend reports what it does.
        public var logger = Logger(label: "TygerKit.KubernetesBackend", factory: { _ in SwiftLogNoOpLogHandler() })
        /// How long a client following a run waits, once the run ended, for its pods to stop
        /// before reporting the terminal status anyway.
        public var stopTimeout: Duration = .seconds(120)

        /// The default configuration.
        public init() {}
    }

    public let name = "kubernetes"
    public let capabilities = BackendCapabilities(nodePools: true, gpus: true, containerImages: true)
    /// The API client the backend uses; its lifetime is the caller's.
    public let client: KubernetesClient
    /// The configuration the backend was created with.
    public let configuration: Configuration
    /// The codespec store in the backend's namespace, with the backend's label domain.
    public let codespecStore: ConfigMapCodespecStore

    var options: KubernetesRenderOptions { configuration.render }
    /// The namespace of every object: the client's.
    public var namespace: String { client.configuration.namespace }

    private let supervisors = Mutex<[RunID: Task<Void, Never>]>([:])

    /// Creates a backend over an API client, in the client's namespace.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/backend`` when the namespace or the
    ///   render options cannot name objects on a cluster.
    public init(client: KubernetesClient, configuration: Configuration = Configuration()) throws(TygerError) {
        try RunRenderer.validateNamespace(client.configuration.namespace)
        try RunRenderer.validateOptions(configuration.render)
        self.client = client
        self.configuration = configuration
        codespecStore = try ConfigMapCodespecStore(client: client, labelDomain: configuration.render.labelDomain)
    }

    /// Runs `body` with a backend for the cluster and namespace of `kubernetes`, then shuts the
    /// backend down and closes the connections, also when `body` throws.
    public static func withBackend<Result: Sendable>(
        kubernetes: KubernetesConfiguration,
        configuration: Configuration = Configuration(),
        _ body: (KubernetesBackend) async throws -> Result
    ) async throws -> Result {
        let client = try KubernetesClient(configuration: kubernetes, logger: configuration.logger)
        let backend: KubernetesBackend
        do {
            backend = try KubernetesBackend(client: client, configuration: configuration)
        } catch {
            try? await client.shutdown()
            throw error
        }
        do {
            let result = try await body(backend)
            await backend.shutdown()
            try await client.shutdown()
            return result
        } catch {
            await backend.shutdown()
            try? await client.shutdown()
            throw error
        }
    }

    /// Stops supervising the runs this backend submitted (they go on running on the cluster,
    /// which cleans them up as described above) and waits for the supervisors to end.
    public func shutdown() async {
        let running = supervisors.withLock { supervisors in
            defer { supervisors = [:] }
            return Array(supervisors.values)
        }
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    // MARK: - ClusterBackend

    /// Checks what Kubernetes cannot take (images, names, node pools) before anything is sent.
    public func validate(_ spec: ResolvedRunSpec) throws {
        try RunRenderer.validate(spec, namespace: namespace, options: options)
    }

    public func submit(_ spec: ResolvedRunSpec) async throws -> Run {
        try validate(spec)
        let id = try await RunCounter(client: client, namespace: namespace).next()
        let rendered = try RunRenderer.render(runID: id, run: spec, namespace: namespace, options: options)
        let run = Run(id: id, spec: spec, createdAt: Date(), backend: name)
        let record = RunRecord(id: id, spec: spec, createdAt: run.createdAt)
        _ = try await client.create(
            .configMaps, object: try record.configMap(namespace: namespace, options: options), namespace: namespace)
        do {
            try await create(rendered, of: id)
        } catch {
            var failed = run
            failed.end(.couldNotStart("\(error)"))
            try? await recordFinal(failed)
            _ = try? await client.delete(.jobs, name: RunObjectNames(runID: id).job, namespace: namespace)
            throw error
        }
        supervise(id)
        configuration.logger.info("run submitted", metadata: ["run": "\(id)"])
        return run
    }

    /// Creates a rendered run's objects: the Job first, because its uid owns the others.
    private func create(_ rendered: RenderedRun, of id: RunID) async throws {
        let job = try await client.create(.jobs, object: rendered.job, namespace: namespace)
        guard let uid = job.metadata.uid else {
            throw TygerError(.backend, "the API server returned Job \(RunObjectNames(runID: id).job) without a uid")
        }
        let owned = rendered.withOwner(jobUID: uid)
        // Lists too long for the environment; the job's pod waits for them like for its workers.
        for configMap in owned.discoveryConfigMaps {
            _ = try await client.create(.configMaps, object: configMap, namespace: namespace)
        }
        if let service = owned.workerService {
            _ = try await client.create(.services, object: service, namespace: namespace)
        }
        if let statefulSet = owned.workerStatefulSet {
            _ = try await client.create(.statefulSets, object: statefulSet, namespace: namespace)
        }
    }

    public func run(id: RunID) async throws -> Run {
        RunStatusDerivation.run(from: try await snapshot(id), backend: name)
    }

    /// The runs `query` selects, newest first. The records come in one list; creation time
    /// and tags are checked on the record, and a run's objects are read only for a record that
    /// passes and has no final status, stopping at the limit.
    public func runs(_ query: RunQuery) async throws -> [Run] {
        let configMaps = try await client.list(
            .configMaps, namespace: namespace, labelSelector: "\(options.labelDomain)/kind=run", as: ConfigMap.self)
        var records: [RunRecord] = []
        for configMap in configMaps.items {
            guard let id = configMap.metadata.labels?[options.runLabel].flatMap(RunID.init) else { continue }
            let record = try RunRecord(configMap: configMap, id: id)
            if let since = query.since, record.createdAt <= since { continue }
            guard query.tags.allSatisfy({ record.spec.tags[$0.key] == $0.value }) else { continue }
            records.append(record)
        }
        var runs: [Run] = []
        for record in records.sorted(by: { $0.id > $1.id }) {
            guard runs.count < query.limit ?? .max else { break }
            let run: Run
            if let final = record.final { run = final } else { run = try await self.run(id: record.id) }
            if query.matches(run) { runs.append(run) }
        }
        return runs
    }

    /// Reports the run until it is terminal. As on every backend, the terminal record comes
    /// once nothing of the run runs any more: after the job ended, it waits (at most
    /// ``Configuration/stopTimeout``) for the run's pods to stop.
    public func updates(of id: RunID) -> AsyncThrowingStream<Run, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let ended = try await self.follow(id) { run in continuation.yield(run) }
                    try await self.waitUntilStopped(id)
                    // A supervisor's record is the final word; it saw the same end.
                    continuation.yield(try await self.readRecord(id).final ?? ended)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func cancel(id: RunID) async throws -> Run {
        let current = try await run(id: id)
        guard !current.status.isTerminal else { return current }
        let patch = ["data": [RunRecord.Key.canceled: "true"]]
        _ = try await client.patch(
            .configMaps, name: RunRecord.name(id), namespace: namespace, mergePatch: patch, as: ConfigMap.self)
        // Deleting the Job stops its pods, and the garbage collector removes the workers it owns.
        _ = try await client.delete(.jobs, name: RunObjectNames(runID: id).job, namespace: namespace)
        return try await run(id: id)
    }

    public func logs(of id: RunID, _ logOptions: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        RunLogReader(client: client, options: options, backend: self).lines(of: id, logOptions)
    }

    /// Replaces the tags in the run's record. The record is replaced with its
    /// `resourceVersion`, so a change by another client in between is never overwritten:
    /// the write is tried again against the new record, and fails with
    /// ``TygerError/Code/conflict`` once the run no longer has `eTag`.
    public func setTags(of id: RunID, to tags: [String: String], ifMatch eTag: String?) async throws -> Run {
        while true {
            let objects = try await snapshot(id)
            let current = RunStatusDerivation.run(from: objects, backend: name)
            if let eTag, eTag != current.eTag { throw Run.staleETag(id, given: eTag, current: current.eTag) }
            var changed = current
            changed.spec = try current.spec.replacingTags(tags)
            do {
                _ = try await client.replace(
                    .configMaps, name: RunRecord.name(id), object: try objects.record.replacingTags(tags),
                    namespace: namespace)
                return changed
            } catch where KubernetesAPIError.from(error)?.isConflict == true {
                configuration.logger.debug("the run's record changed while its tags were set; trying again", metadata: ["run": "\(id)"])
            }
        }
    }

    // MARK: - Finishing

    /// Supervises a run until it ends or the backend shuts down: the one place this backend
    /// changes a run after creating it.
    private func supervise(_ id: RunID) {
        let task = Task {
            do {
                try await finishWhenEnded(id)
            } catch is CancellationError {
            } catch {
                configuration.logger.warning(
                    "could not finish run", metadata: ["run": "\(id)", "error": "\(error)"])
            }
            _ = supervisors.withLock { $0.removeValue(forKey: id) }
        }
        supervisors.withLock { $0[id] = task }
    }

    /// Waits until the run's job has ended, then records the final status and removes the
    /// workers; both steps are idempotent, so several supervisors may do it at once. The
    /// record comes first: a follower reports the end once the workers' pods are gone, and
    /// by then the record holds it.
    func finishWhenEnded(_ id: RunID) async throws {
        let ended = try await follow(id) { _ in }
        guard ended.status.isTerminal else { return }
        try await recordFinal(ended)
        let names = RunObjectNames(runID: id)
        if ended.spec.isDistributed {
            _ = try await client.delete(.statefulSets, name: names.worker, namespace: namespace)
            _ = try await client.delete(.services, name: names.worker, namespace: namespace)
        }
    }

    private func recordFinal(_ run: Run) async throws {
        let patch = ["data": [RunRecord.Key.final: try RunRecord.json(run)]]
        _ = try await client.patch(
            .configMaps, name: RunRecord.name(run.id), namespace: namespace, mergePatch: patch, as: ConfigMap.self)
    }

    // MARK: - Observing

    /// Reads the record, the Job and the run's pods.
    func snapshot(_ id: RunID) async throws -> RunObjects {
        let record = try await readRecord(id)
        var objects = RunObjects(record: record)
        guard record.final == nil else { return objects }
        objects.job = try await optional {
            try await client.get(.jobs, name: RunObjectNames(runID: id).job, namespace: namespace, as: Job.self)
        }
        objects.replacePods(try await pods(of: id), roleLabel: options.roleLabel)
        return objects
    }

    /// The run's pods that still exist: a finished Job keeps its pods until its TTL.
    public func pods(of id: RunID) async throws -> [Pod] {
        try await client.list(.pods, namespace: namespace, labelSelector: options.labelSelector(runID: id), as: Pod.self)
            .items
    }

    /// Reports the run now and after every change until the job has ended, from three watches
    /// merged: the record (cancel requests, results recorded by other clients), the Job, and
    /// the run's pods. Returns the ended run, which it does not report.
    private func follow(_ id: RunID, report: @escaping @Sendable (Run) -> Void) async throws -> Run {
        let objects = try await snapshot(id)
        let initial = RunStatusDerivation.run(from: objects, backend: name)
        if initial.status.isTerminal { return initial }
        report(initial)
        let state = RunState(objects: objects, backend: name, last: initial)
        let names = RunObjectNames(runID: id)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ResourceFollower<ConfigMap>(
                    client: self.client, resource: .configMaps, namespace: self.namespace,
                    fieldSelector: "metadata.name=\(RunRecord.name(id))"
                ).run(from: nil) { change in
                    guard case .event(let event) = change, let configMap = event.object,
                        let record = try? RunRecord(configMap: configMap, id: id)
                    else { return await state.isFollowing }
                    return await state.update(report) { $0.record = record }
                }
            }
            group.addTask {
                try await ResourceFollower<Job>(
                    client: self.client, resource: .jobs, namespace: self.namespace,
                    fieldSelector: "metadata.name=\(names.job)"
                ).run(from: nil) { change in
                    await state.update(report) { objects in
                        switch change {
                        case .snapshot(let jobs): objects.job = jobs.first
                        case .event(let event): objects.job = event.type == .deleted ? nil : event.object ?? objects.job
                        }
                    }
                }
            }
            group.addTask {
                let roleLabel = self.options.roleLabel
                try await ResourceFollower<Pod>(
                    client: self.client, resource: .pods, namespace: self.namespace,
                    labelSelector: self.options.labelSelector(runID: id)
                ).run(from: nil) { change in
                    await state.update(report) { objects in
                        switch change {
                        case .snapshot(let pods): objects.replacePods(pods, roleLabel: roleLabel)
                        case .event(let event): objects.apply(event, roleLabel: roleLabel)
                        }
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
        guard await state.last.status.isTerminal else { return await state.last }
        // The Job's status can arrive before the pod's: read the pods once more for the exit code.
        var ended = await state.objects
        ended.replacePods(try await pods(of: id), roleLabel: options.roleLabel)
        return RunStatusDerivation.run(from: ended, backend: name)
    }

    /// Waits until none of the run's pods is still running or terminating, at most
    /// ``Configuration/stopTimeout``; a pod that outstays it is the cluster's to remove.
    private func waitUntilStopped(_ id: RunID) async throws {
        let roleLabel = options.roleLabel
        let follower = ResourceFollower<Pod>(
            client: client, resource: .pods, namespace: namespace, labelSelector: options.labelSelector(runID: id))
        let pods = PodSet()
        let stopped = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await follower.run(from: nil) { change in
                    await pods.apply(change, roleLabel: roleLabel)
                    return await !pods.allStopped
                }
                return true
            }
            group.addTask {
                try await Task.sleep(for: self.configuration.stopTimeout)
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !stopped {
            configuration.logger.warning("run pods still stopping", metadata: ["run": "\(id)"])
        }
    }

    private func readRecord(_ id: RunID) async throws -> RunRecord {
        guard
            let configMap = try await optional({
                try await client.get(.configMaps, name: RunRecord.name(id), namespace: namespace, as: ConfigMap.self)
            })
        else {
            throw RunID.notFound(id)
        }
        return try RunRecord(configMap: configMap, id: id)
    }

    private func optional<T>(_ read: () async throws -> T) async throws -> T? {
        do {
            return try await read()
        } catch where KubernetesAPIError.from(error)?.isNotFound == true {
            return nil
        }
    }
}

/// The objects of a followed run and the last status reported, shared by its three watches.
private actor RunState {
    private(set) var objects: RunObjects
    private let backend: String
    private(set) var last: Run

    init(objects: RunObjects, backend: String, last: Run) {
        self.objects = objects
        self.backend = backend
        self.last = last
    }

    var isFollowing: Bool { !last.status.isTerminal }

    /// Applies a change and reports the run if it changed; returns whether to keep following.
    func update(_ report: @Sendable (Run) -> Void, _ change: (inout RunObjects) -> Void) -> Bool {
        guard !last.status.isTerminal else { return false }
        change(&objects)
        let run = RunStatusDerivation.run(from: objects, backend: backend)
        if objects.observedStartedAt == nil { objects.observedStartedAt = run.startedAt }
        guard run != last else { return true }
        last = run
        // The terminal status is the follower's to return.
        guard !run.status.isTerminal else { return false }
        report(run)
        return true
    }
}

/// The pods of a run that is ending, to know when all of them have stopped.
private actor PodSet {
    private var objects: [String: Pod] = [:]

    func apply(_ change: ResourceFollower<Pod>.Change, roleLabel: String) {
        switch change {
        case .snapshot(let pods):
            objects = Dictionary(pods.compactMap { pod in pod.metadata.name.map { ($0, pod) } }) { _, last in last }
        case .event(let event):
            guard let pod = event.object, let name = pod.metadata.name else { return }
            objects[name] = event.type == .deleted ? nil : pod
        }
    }

    /// Every remaining pod has finished (a completed Job keeps its pods for their logs).
    var allStopped: Bool {
        objects.values.allSatisfy { pod in
            pod.metadata.deletionTimestamp == nil && (pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed")
        }
    }
}
