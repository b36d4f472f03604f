import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization
import TygerKit

/// Runs a hosted run's replicas as containers of one engine, on a network of the run's own.
///
/// Every replica is one task of the run: it creates and starts its container, reads the
/// container's log stream into the run's log, probes a worker's endpoints, waits for the
/// exit, and once the exit is known and the log read to its end, removes the container and
/// reports the exit. A restarted worker is a new container with the same name, host name
/// and alias. Stopping the run asks the engine to stop every container, waits until each
/// replica's task has removed its own, then removes the network.
final class ContainerReplicas: ReplicaDriver {
    private let engine: EngineClient
    private let objects: RunObjects
    private let settings: ContainerSettings
    private let state = Mutex(State())

    /// What every run of one container backend shares.
    struct ContainerSettings: Sendable {
        var gracePeriod: Duration
        var ulimits: [ContainerCreate.Ulimit]
        var discoveryInlineLimit: Int
        var logger: Logger
        /// Shared by the backend's runs, so many starting workers do not flood the host with probes.
        var pacing: ProbePacing
    }

    private struct State {
        /// The containers that exist, by ID: created and not yet removed by their replica's task.
        var containers: Set<String> = []
        var isStopping = false
        /// Containers being created or started right now.
        var starting = 0
        var networkRemoved = false
        /// Resumed once ``containers`` is empty while stopping.
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private init(engine: EngineClient, objects: RunObjects, settings: ContainerSettings) {
        self.engine = engine
        self.objects = objects
        self.settings = settings
    }

    /// Creates the run's network; the run's containers join it.
    static func prepare(
        _ run: Run, engine: EngineClient, objects: RunObjects, settings: ContainerSettings
    ) async throws(TygerError) -> ContainerReplicas {
        _ = try await engine.createNetwork(NetworkCreate(Name: objects.networkName, Labels: objects.networkLabels))
        return ContainerReplicas(engine: engine, objects: objects, settings: settings)
    }

    // MARK: - Workers

    func startWorkers(_ indices: [Int], _ supervision: any RunSupervision, in group: inout TaskGroup<Void>) {
        let run = supervision.snapshot()
        guard let codespec = run.spec.worker?.codespec else { return }
        for index in indices {
            let generation = supervision.generation(ofWorker: index)
            let plan = ContainerPlan(
                objects: objects, role: .worker, index: index,
                hostname: RunEnvironment.workerHostname(runID: run.id, index: index), codespec: codespec,
                injected: RunEnvironment.worker(
                    runID: run.id, index: index, ports: codespec.endpoints.map { (endpoint: $0, port: $0.port) }),
                ulimits: settings.ulimits)
            group.addTask {
                await self.runWorker(plan, generation: generation, supervision)
            }
        }
    }

    private func runWorker(_ plan: ContainerPlan, generation: Int, _ supervision: any RunSupervision) async {
        let index = plan.index
        let id: String
        do {
            id = try await createAndStart(plan)
        } catch {
            supervision.send(.workerFailedToStart(index, generation: generation, message: error.message))
            return
        }
        supervision.send(.workerStarted(index, generation: generation))
        await startsSettled()
        let address = await self.address(of: id)
        let exit = await watch(id, source: .worker(index), supervision) {
            guard let address else {
                supervision.diagnose(
                    worker: index, generation: generation,
                    "worker-\(index)'s container has no address on the run's network \(self.objects.networkName), "
                        + "or the network has no gateway on this host")
                return
            }
            await self.probe(address: address, plan: plan, generation: generation, supervision)
        }
        // The replica's name is free again before its restart can be due.
        await remove(id)
        supervision.send(.workerExited(index, generation: generation, exit))
    }

    /// Probes every declared port of the worker at its address on the run's network until
    /// each accepts a connection, then reports the worker ready; says why while it does not.
    private func probe(address: NetworkAddress, plan: ContainerPlan, generation: Int, _ supervision: any RunSupervision)
        async
    {
        var pending = plan.codespec.endpoints
        let pacing = settings.pacing
        pacing.adjustPending(by: pending.count)
        defer { pacing.adjustPending(by: -pending.count) }
        let started = ContinuousClock.now
        var nextDiagnosis = started + .seconds(3)
        var delay = pacing.shortest
        while !Task.isCancelled {
            let before = pending.count
            pending.removeAll { EndpointProbe.accepts(host: address.container, port: $0.port, from: address.host) }
            pacing.adjustPending(by: pending.count - before)
            if pending.isEmpty {
                supervision.logger.debug(
                    "worker ready",
                    metadata: ["run": "\(objects.runID)", "worker": "\(plan.index)", "address": "\(address.container)"])
                supervision.send(.workerReady(plan.index, generation: generation))
                return
            }
            if ContinuousClock.now >= nextDiagnosis, let endpoint = pending.first {
                nextDiagnosis = ContinuousClock.now + .seconds(3)
                let waited = (ContinuousClock.now - started).components.seconds
                supervision.diagnose(
                    worker: plan.index, generation: generation,
                    "worker-\(plan.index)'s endpoint '\(endpoint.name)' has not accepted connections on port "
                        + "\(endpoint.port) of \(plan.hostname) (\(address.container)) for \(waited) s; it must listen on the "
                        + "declared port, on all addresses of its container")
            }
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            delay = pacing.interval(after: delay)
        }
    }

    /// Where a worker is probed: its address on the run's network, and the host's address
    /// there (the network's gateway), which the probe connects from.
    private struct NetworkAddress: Sendable {
        var container: String
        var host: String
    }

    /// The container's address on the run's network, or `nil` when it has none (or is gone).
    private func address(of id: String) async -> NetworkAddress? {
        do {
            let network = try await engine.inspectContainer(id).NetworkSettings?.Networks?[objects.networkName]
            guard let container = network?.IPAddress, !container.isEmpty, let host = network?.Gateway, !host.isEmpty else {
                return nil
            }
            return NetworkAddress(container: container, host: host)
        } catch {
            logger.debug("cannot inspect a worker", metadata: ["container": "\(id)", "error": "\(error)"])
            return nil
        }
    }

    // MARK: - Job

    func startJob(_ supervision: any RunSupervision, in group: inout TaskGroup<Void>) {
        let run = supervision.snapshot()
        var discovery: [(name: String, value: String)] = []
        var binds: [String] = []
        if let worker = run.spec.worker {
            let hosts = (0..<worker.replicas).map { RunEnvironment.workerHostname(runID: run.id, index: $0) }
            let ports = worker.codespec.endpoints.map { (endpoint: $0, ports: Array(repeating: $0.port, count: worker.replicas)) }
            let lists = DiscoveryVariables.jobDiscovery(hosts: hosts, ports: ports, inlineLimit: settings.discoveryInlineLimit)
            if !lists.files.isEmpty {
                let paths: [String: String]
                do {
                    paths = try supervision.writeDiscoveryFiles(lists.files)
                } catch {
                    supervision.enqueue(.jobFailedToStart(message: error.message))
                    return
                }
                if let hostFolder = paths.values.first.map({ URL(fileURLWithPath: $0).deletingLastPathComponent().path }) {
                    binds.append("\(hostFolder):\(Self.discoveryMount):ro")
                }
                supervision.report(RunEvent(message: "the worker lists are too long for the environment; they are in files"))
            }
            discovery = lists.variables { "\(Self.discoveryMount)/\($0.fileName)" }
        }
        let replicas = run.spec.job.replicas
        let plans = (0..<replicas).map { replica in
            ContainerPlan(
                objects: objects, role: .job, index: replica,
                hostname: RunEnvironment.jobHostname(runID: run.id, replica: replica), codespec: run.spec.job.codespec,
                injected: RunEnvironment.job(runID: run.id, discovery: discovery), binds: binds, ulimits: settings.ulimits)
        }
        group.addTask {
            await self.runJob(plans, supervision)
        }
    }

    /// Where a job's container finds the discovery lists that are files.
    static let discoveryMount = "/run/tyger/discovery"

    /// Starts every job replica, reports the job started only once all are (an exit reported
    /// before that would not count), then follows each to its exit.
    private func runJob(_ plans: [ContainerPlan], _ supervision: any RunSupervision) async {
        let started = await withTaskGroup(of: JobReplicaStart.self) { group in
            for plan in plans {
                group.addTask {
                    do {
                        return JobReplicaStart(plan: plan, container: try await self.createAndStart(plan))
                    } catch {
                        return JobReplicaStart(plan: plan, failure: (error as? TygerError)?.message ?? "\(error)")
                    }
                }
            }
            return await group.reduce(into: [JobReplicaStart]()) { $0.append($1) }
        }
        // The replicas that did start are still followed when another did not: the run stops
        // them, and each is removed once stopped.
        if let failure = started.compactMap({ $0.failure }).first {
            supervision.send(.jobFailedToStart(message: failure))
        } else {
            supervision.send(.jobStarted)
        }
        let replicas = plans.count
        await startsSettled()
        await withTaskGroup(of: Void.self) { group in
            for start in started {
                guard let id = start.container else { continue }
                let index = start.plan.index
                group.addTask {
                    let exit = await self.watch(id, source: .job(replicas > 1 ? index : nil), supervision) {}
                    // Told first, so that stopping the workers overlaps removing this container.
                    supervision.send(.jobExited(replica: index, exit))
                    await self.remove(id)
                }
            }
        }
    }

    /// How starting one job replica went.
    private struct JobReplicaStart: Sendable {
        var plan: ContainerPlan
        var container: String?
        var failure: String?
    }

    // MARK: - Containers

    /// Returns once no container of the run is being created or started, or after a second.
    ///
    /// Followed logs, waits and inspections are held back while the run's containers start:
    /// an engine serves starts more slowly while those are in flight (Podman markedly: 8
    /// workers took half as long again), and nothing is lost by waiting, since the engine
    /// keeps a container's output and exit code from its start.
    private func startsSettled() async {
        let deadline = ContinuousClock.now + .seconds(1)
        while state.withLock({ $0.starting > 0 }), ContinuousClock.now < deadline {
            guard (try? await Task.sleep(for: .milliseconds(5))) != nil else { return }
        }
    }

    /// Creates the replica's container (replacing one its previous generation left) and starts it.
    private func createAndStart(_ plan: ContainerPlan) async throws(TygerError) -> String {
        state.withLock { $0.starting += 1 }
        defer { state.withLock { $0.starting -= 1 } }
        let body = try plan.body()
        guard !state.withLock({ $0.isStopping }) else { throw TygerError(.backend, "the run is stopping") }
        let id = try await engine.createContainer(named: plan.name, body)
        let admitted = state.withLock { state in
            guard !state.isStopping else { return false }
            state.containers.insert(id)
            return true
        }
        guard admitted else {
            try? await engine.removeContainer(id)
            throw TygerError(.backend, "the run is stopping")
        }
        do {
            try await engine.startContainer(id)
        } catch {
            await remove(id)
            throw error
        }
        // A stop that came while the container was starting missed it.
        if state.withLock({ $0.isStopping }) {
            try? await engine.stopContainer(id, timeout: Int(settings.gracePeriod.components.seconds))
        }
        return id
    }

    /// Reads the container's log into the run's log and runs `alongside` (a probe) while the
    /// container runs; returns its exit once it has stopped and its log is read.
    ///
    /// A followed log normally ends with its container. Podman's does not always when the
    /// container had already exited as the follow began; so once the exit is known, the
    /// follow gets ``logGrace`` to end, and if it has not, it is cut and the rest of the log
    /// read without following, skipping the lines already taken.
    private func watch(
        _ id: String, source: RunLogSource, _ supervision: any RunSupervision,
        alongside: @escaping @Sendable () async -> Void
    ) async -> ReplicaExit {
        let seen = LineCount()
        let side = Task { await alongside() }
        defer { side.cancel() }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.readLogs(id, source: source, supervision, follow: true, seen: seen) }
            let exit: ReplicaExit
            do {
                exit = .exited(code: try await engine.waitContainer(id))
            } catch {
                supervision.report(RunEvent(replica: source.description, message: "lost track of \(source): \((error as? TygerError)?.message ?? "\(error)")"))
                exit = .exited(code: 255)
            }
            side.cancel()
            group.addTask {
                try? await Task.sleep(for: Self.logGrace)
                return false
            }
            let followEnded = await group.next() ?? false
            group.cancelAll()
            await group.waitForAll()
            if !followEnded {
                _ = await readLogs(id, source: source, supervision, follow: false, seen: seen)
            }
            return exit
        }
    }

    /// How many lines of a container's log have been taken, shared by its follow and the read
    /// that completes it.
    private final class LineCount: Sendable {
        private let count = Mutex(0)
        var value: Int {
            get { count.withLock { $0 } }
            set { count.withLock { $0 = newValue } }
        }
    }

    /// How long a followed log may take to end after its container exited.
    static var logGrace: Duration { .seconds(1) }

    /// Reads the container's log into the run's log, skipping the first `seen` lines and
    /// counting every line in `seen`; returns whether the stream ended by itself.
    private func readLogs(
        _ id: String, source: RunLogSource, _ supervision: any RunSupervision, follow: Bool, seen: LineCount
    ) async -> Bool {
        let skip = seen.value
        var index = 0
        var frames = LogFrames()
        func emit(_: LogFrames.Stream, _ text: String) {
            defer { index += 1 }
            guard index >= skip else { return }
            let (time, body) = LogTimestamp.split(text)
            supervision.log(RunLogLine(source: source, text: body, timestamp: time?.date ?? Date()))
            seen.value = index + 1
        }
        do {
            for try await chunk in try await engine.logs(id, follow: follow) {
                try Task.checkCancellation()
                chunk.withUnsafeReadableBytes { frames.append($0, emit: emit) }
            }
            frames.finish(emit: emit)
            return true
        } catch {
            supervision.logger.debug("a log stream ended early", metadata: ["container": "\(id)", "error": "\(error)"])
            return false
        }
    }

    /// Removes a container whose output has been read, and wakes a stop waiting for the last one.
    private func remove(_ id: String) async {
        do {
            try await engine.removeContainer(id)
        } catch {
            logger.warning("cannot remove a container", metadata: ["container": "\(id)", "error": "\(error)"])
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.containers.remove(id)
            guard state.isStopping, state.containers.isEmpty else { return [] }
            defer { state.drained = [] }
            return state.drained
        }
        for waiter in waiters { waiter.resume() }
    }

    private var logger: Logger { settings.logger }

    // MARK: - Stopping

    /// Asks the engine to stop every container (SIGTERM, SIGKILL after the grace period),
    /// waits until each replica's task has read its log and removed it, then removes the network.
    func stopEverything() async {
        let containers = state.withLock { state in
            state.isStopping = true
            return state.containers
        }
        let timeout = Int(settings.gracePeriod.components.seconds)
        await withTaskGroup(of: Void.self) { group in
            for id in containers {
                group.addTask { try? await self.engine.stopContainer(id, timeout: timeout) }
            }
        }
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                guard !state.containers.isEmpty else { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        await release()
    }

    /// Removes the run's network, once: after a stop, or for a run that never started.
    func release() async {
        let removed = state.withLock { state in
            defer { state.networkRemoved = true }
            return state.networkRemoved
        }
        guard !removed else { return }
        do {
            try await engine.removeNetwork(objects.networkName)
        } catch {
            logger.warning("cannot remove a run's network", metadata: ["network": "\(objects.networkName)", "error": "\(error)"])
        }
    }
}
