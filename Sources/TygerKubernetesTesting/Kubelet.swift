import Synchronization

/// Durations of the simulated node, in wall-clock time.
struct SimulationTiming: Sendable {
    var containerStartDelay: Duration
    var terminationGracePeriod: Duration
    var restartBackoff: Duration
}

/// The simulated node: schedules every pod onto itself and runs its containers through a ``PodBehavior``.
///
/// Event-driven from the store: a new pod gets a ``PodWorker``; a pod marked for deletion has its
/// containers sent SIGTERM; a pod removed from the store has its worker killed.
final class Kubelet: Sendable {
    static let nodeName = "tyger-test-node"
    static let hostIP = "10.0.0.10"

    let registry: Registry
    let logs: PodLogs
    let network: SimulatedNetwork
    let behavior: any PodBehavior
    let timing: SimulationTiming

    private struct State: Sendable {
        var workers: [String: PodWorker] = [:]
        var nextPID = 100
        var nextIP = 2
    }

    private let state = Mutex(State())

    init(registry: Registry, logs: PodLogs, network: SimulatedNetwork, behavior: any PodBehavior, timing: SimulationTiming) {
        self.registry = registry
        self.logs = logs
        self.network = network
        self.behavior = behavior
        self.timing = timing
    }

    /// Runs until the store shuts down or the task is cancelled.
    func run() async {
        let (events, stop) = registry.store.observe()
        defer { stop() }
        for pod in registry.store.list(ResourceCatalog.pods, namespace: nil).items { handle(pod, removed: false) }
        for await event in events {
            guard let event, event.resource == ResourceCatalog.pods else { continue }
            handle(event.object, removed: event.kind == .deleted)
        }
        let workers = state.withLock { state in
            defer { state.workers = [:] }
            return Array(state.workers.values)
        }
        for worker in workers { worker.kill() }
    }

    private func handle(_ pod: JSONValue, removed: Bool) {
        let uid = pod.uid
        if removed {
            let worker = state.withLock { $0.workers.removeValue(forKey: uid) }
            worker?.kill()
            logs.remove(pod: uid)
            network.remove(pod: uid)
            return
        }
        if let worker = state.withLock({ $0.workers[uid] }) {
            if ObjectMeta.isDeleting(pod) { worker.terminate() }
            return
        }
        if ObjectMeta.isDeleting(pod) {
            registry.finishDeletion(ResourceCatalog.pods, namespace: pod.namespace, name: pod.name, uid: uid)
            return
        }
        let phase = pod[path: ["status", "phase"]]?.stringValue
        guard phase != "Succeeded", phase != "Failed" else { return }
        let worker = state.withLock { state -> PodWorker in
            state.nextIP += 1
            let worker = PodWorker(pod: pod, podIP: "10.244.\(state.nextIP / 250).\(state.nextIP % 250 + 2)", kubelet: self)
            state.workers[uid] = worker
            return worker
        }
        worker.start()
    }

    /// A fresh process id: distinct across the cluster, as the conformance job checks.
    func nextPID() -> Int {
        state.withLock { state in
            state.nextPID += 1
            return state.nextPID
        }
    }
}
