public import Foundation
public import Logging
public import TygerKit

/// Runs on a Kubernetes cluster: the job as a Job, workers as a StatefulSet with a headless
/// Service, the run's record as a ConfigMap; status comes from watches, not polling.
///
/// ```swift
/// try await KubernetesBackend.withBackend(kubernetes: .automatic()) { backend in
///     let client = TygerClient(store: ConfigMapCodespecStore(client: backend.client), backend: backend)
///     let run = try await client.createRun(spec)
///     print(try await client.waitUntilTerminal(run.id).status)
/// }
/// ```
///
/// A client that watches a run (``updates(of:)``, ``waitUntilTerminal(_:)``) removes its
/// workers as soon as it sees the run end and records the final status. With no client
/// watching, Kubernetes itself cleans up: the Job's `activeDeadlineSeconds` ends an overdue
/// run, its `ttlSecondsAfterFinished` deletes it after it finished, and the workers, owned
/// by the Job, are garbage-collected with it.
public final class KubernetesBackend: ClusterBackend {
    /// How runs become Kubernetes objects, and where the backend reports what it does.
    public struct Configuration: Sendable {
        /// Names, labels, node pools, the wait image and the TTL of finished Jobs.
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
    public let capabilities = BackendCapabilities(
        nodePools: true, gpus: true, containerImages: true, resourceLimits: true, clusters: false)
    /// The API client the backend uses; its lifetime is the caller's.
    public let client: KubernetesClient
    /// The configuration the backend was created with.
    public let configuration: Configuration

    private var options: KubernetesRenderOptions { configuration.render }
    private var namespace: String { options.namespace }

    /// Creates a backend over an API client. The namespace is the render options'.
    public init(client: KubernetesClient, configuration: Configuration = Configuration()) {
        self.client = client
        self.configuration = configuration
    }

    /// Runs `body` with a backend for the cluster and namespace of `kubernetes`, then closes
    /// the connections, also when `body` throws.
    public static func withBackend<Result: Sendable>(
        kubernetes: KubernetesConfiguration,
        configuration: Configuration = Configuration(),
        _ body: (KubernetesBackend) async throws -> Result
    ) async throws -> Result {
        let client = try KubernetesClient(configuration: kubernetes, logger: configuration.logger)
        var configuration = configuration
        configuration.render.namespace = kubernetes.namespace
        let backend = KubernetesBackend(client: client, configuration: configuration)
        do {
            let result = try await body(backend)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    // MARK: - ClusterBackend

    public func submit(_ spec: ResolvedRunSpec) async throws -> Run {
        try RunRenderer.validate(runID: "1", run: spec, options: options)
        let id = try await RunCounter(client: client, namespace: namespace).next()
        let rendered = try RunRenderer.render(runID: id, run: spec, options: options)
        let record = RunRecord(id: id, spec: spec, createdAt: Date())
        _ = try await client.create(.configMaps, object: try record.configMap(options: options), namespace: namespace)
        do {
            // The Job goes first: its uid owns the workers, so deleting it removes them.
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
        } catch {
            var failed = Run(id: id, spec: spec, createdAt: record.createdAt, backend: name)
            failed.status = .failed
            failed.statusReason = "The run could not start: \(error)"
            failed.finishedAt = Date()
            try? await recordFinal(failed)
            _ = try? await client.delete(.jobs, name: RunObjectNames(runID: id).job, namespace: namespace)
            throw error
        }
        configuration.logger.info("run submitted", metadata: ["run": "\(id)"])
        return Run(id: id, spec: spec, createdAt: record.createdAt, backend: name)
    }

    public func run(id: String) async throws -> Run {
        let objects = try await snapshot(id)
        let run = RunStatusDerivation.run(from: objects, backend: name)
        if run.status.isTerminal, objects.record.final == nil { try await finish(run) }
        return run
    }

    public func runs(limit: Int?) async throws -> [Run] {
        if let limit, limit < 1 { throw TygerError(.invalidSpec, "the limit is \(limit); allowed: 1 or more") }
        try RunRenderer.validateOptions(options)
        let records = try await client.list(
            .configMaps, namespace: namespace, labelSelector: "\(options.labelDomain)/kind=run", as: ConfigMap.self)
        let ids = records.items.compactMap { $0.metadata.labels?[options.runLabel] }.compactMap(Int.init).sorted(by: >)
        var runs: [Run] = []
        for id in ids.prefix(limit ?? .max) {
            runs.append(try await run(id: "\(id)"))
        }
        return runs
    }

    public func updates(of id: String) -> AsyncThrowingStream<Run, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.follow(id) { run in continuation.yield(run) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func cancel(id: String) async throws -> Run {
        let current = try await run(id: id)
        guard !current.status.isTerminal else { return current }
        let patch = ["data": [RunRecord.Key.canceled: "true"]]
        _ = try await client.patch(
            .configMaps, name: RunRecord.name(id), namespace: namespace, mergePatch: patch, as: ConfigMap.self)
        // Deleting the Job stops its pods, and the garbage collector removes the workers it owns.
        _ = try await client.delete(.jobs, name: RunObjectNames(runID: id).job, namespace: namespace)
        return try await run(id: id)
    }

    public func logs(of id: String, follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        RunLogReader(client: client, options: options, backend: self).lines(of: id, follow: follow)
    }

    // MARK: - Observing

    /// Reads the record, the Job and the run's pods.
    func snapshot(_ id: String) async throws -> RunObjects {
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
    public func pods(of id: String) async throws -> [Pod] {
        // The ID goes into a label selector: `1,x!=y` must not widen it.
        try Self.checkRunID(id)
        try RunRenderer.validateOptions(options)
        let selector = options.labelSelector(runID: id)
        return try await client.list(.pods, namespace: namespace, labelSelector: selector, as: Pod.self).items
    }

    /// Reports the run now and after every change until it is terminal, from three watches
    /// merged: the record (cancel requests, results recorded by other clients), the Job, and
    /// the run's pods.
    private func follow(_ id: String, report: @escaping @Sendable (Run) -> Void) async throws {
        let objects = try await snapshot(id)
        let initial = RunStatusDerivation.run(from: objects, backend: name)
        if initial.status.isTerminal {
            if objects.record.final == nil {
                try await finish(initial)
                try await waitUntilStopped(id)
            }
            report(initial)
            return
        }
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
        guard await state.last.status.isTerminal else { return }
        // The Job's status can arrive before the pod's: read the pods once more for the exit code.
        var ended = await state.objects
        ended.replacePods(try await pods(of: id), roleLabel: options.roleLabel)
        let final = RunStatusDerivation.run(from: ended, backend: name)
        // As on the local backend, a terminal status means nothing of the run is left running.
        try await finish(final)
        try await waitUntilStopped(id)
        report(final)
    }

    /// Waits until none of the run's pods is still running or terminating, at most
    /// ``Configuration/stopTimeout``; a pod that outstays it is the cluster's to remove.
    private func waitUntilStopped(_ id: String) async throws {
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

    /// Records the final status and removes the workers; both are idempotent, so several
    /// clients watching one run may do it at once.
    private func finish(_ run: Run) async throws {
        let names = RunObjectNames(runID: run.id)
        if run.spec.workerCodespec != nil {
            _ = try await client.delete(.statefulSets, name: names.worker, namespace: namespace)
            _ = try await client.delete(.services, name: names.worker, namespace: namespace)
        }
        try await recordFinal(run)
    }

    private func recordFinal(_ run: Run) async throws {
        let patch = ["data": [RunRecord.Key.final: try RunRecord.json(run)]]
        _ = try await client.patch(
            .configMaps, name: RunRecord.name(run.id), namespace: namespace, mergePatch: patch, as: ConfigMap.self)
    }

    private func readRecord(_ id: String) async throws -> RunRecord {
        try Self.checkRunID(id)
        try RunRenderer.validateOptions(options)
        guard
            let configMap = try await optional({
                try await client.get(.configMaps, name: RunRecord.name(id), namespace: namespace, as: ConfigMap.self)
            })
        else {
            throw TygerError(.runNotFound, "The run '\(id)' was not found")
        }
        return try RunRecord(configMap: configMap, id: id)
    }

    /// Run IDs are decimal numbers: anything else names no run, and is refused before it can
    /// become part of an object name, a URL or a selector.
    static func checkRunID(_ id: String) throws(TygerError) {
        guard !id.isEmpty, id.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw TygerError(
                .runNotFound, "The run '\(id)' was not found; run IDs are decimal numbers, such as 42")
        }
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
        // The terminal status is reported by the follower once the run's pods have stopped.
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
