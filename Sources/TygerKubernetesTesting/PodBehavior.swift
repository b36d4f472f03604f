import Foundation
import Synchronization

/// Decides what the processes in simulated pods do: the stand-in for container images.
///
/// The simulated kubelet calls ``run(_:)`` once per container start (again after each restart)
/// and turns the result into container states, restart counts and the pod phase. Everything a
/// real process could observe or do is on the ``SimulatedContainer``: its argv and resolved
/// environment, writing log lines, listening on ports, handling SIGTERM, and the cluster as
/// seen through DNS and TCP connections.
///
/// ```swift
/// struct AlwaysFails: PodBehavior {
///     func run(_ container: SimulatedContainer) async -> ContainerExit {
///         container.log("boom")
///         return .exited(2)
///     }
/// }
/// ```
public protocol PodBehavior: Sendable {
    /// Runs one start of one container and returns how it ended.
    ///
    /// Unless the behaviour calls ``SimulatedContainer/trapTermination()``, a pod deletion ends
    /// the container at once with exit code 143 (SIGTERM's default action) and cancels this task.
    /// A trapping behaviour sees ``SimulatedContainer/isTerminationRequested`` become true and its
    /// waits return early; if it has not returned after the grace period it is killed with 137.
    func run(_ container: SimulatedContainer) async -> ContainerExit
}

/// How one container start ended.
public enum ContainerExit: Sendable, Equatable {
    /// The process exited with this status (0...255; 128+n for signal n).
    case exited(Int32)
    /// The container never runs and stays `waiting` with this reason, as with `ErrImagePull`,
    /// `ImagePullBackOff` or `CreateContainerError`. The pod stays Pending until deleted.
    case waiting(reason: String, message: String)
}

/// One running container as its program sees it.
public final class SimulatedContainer: Sendable {
    /// The pod when the container started.
    public let pod: JSONValue
    /// The container's entry in the pod spec.
    public let spec: JSONValue
    /// The container's name.
    public var name: String { spec["name"]?.stringValue ?? "" }
    /// Whether this is an init container.
    public let isInitContainer: Bool
    /// How many times this container restarted before this start.
    public let restartCount: Int
    /// `command` + `args` after `$(VAR)` expansion: the process's argv. Empty when the pod
    /// relies on the image's entrypoint.
    public let commandLine: [String]
    /// The process environment, with `valueFrom` and `$(VAR)` resolved as the kubelet does.
    public let environment: [String: String]
    /// A process id unique across the simulated cluster (each container runs in its own pid namespace
    /// on a real node, so only distinctness means anything).
    public let pid: Int
    /// The cluster, as seen from inside this pod.
    public let cluster: ClusterView

    private struct State: Sendable {
        var trapsTermination = false
        var explicitlyReady = false
        var exit: ContainerExit?
        var exitWaiter: CheckedContinuation<ContainerExit, Never>?
    }

    private let state = Mutex(State())
    private let termination = TerminationSignal()
    private let logs: PodLogs
    private let network: SimulatedNetwork
    private let onReadinessChange: @Sendable () -> Void

    init(
        pod: JSONValue, spec: JSONValue, isInitContainer: Bool, restartCount: Int, commandLine: [String],
        environment: [String: String], pid: Int, cluster: ClusterView, logs: PodLogs, network: SimulatedNetwork,
        onReadinessChange: @escaping @Sendable () -> Void
    ) {
        self.pod = pod
        self.spec = spec
        self.isInitContainer = isInitContainer
        self.restartCount = restartCount
        self.commandLine = commandLine
        self.environment = environment
        self.pid = pid
        self.cluster = cluster
        self.logs = logs
        self.network = network
        self.onReadinessChange = onReadinessChange
    }

    // MARK: What the program does

    /// Writes a line to stdout; `kubectl logs` shows both streams merged in order.
    public func log(_ line: String) {
        guard state.withLock({ $0.exit == nil }) else { return }
        logs.append(pod: pod.uid, container: name, line)
    }

    /// Writes a line to stderr.
    public func logError(_ line: String) {
        log(line)
    }

    /// Starts accepting TCP connections on `port`; each connection receives `reply`.
    ///
    /// A `tcpSocket` readiness probe on this port succeeds from now on.
    public func listen(on port: Int, reply: String) {
        guard state.withLock({ $0.exit == nil }) else { return }
        network.listen(pod: pod.uid, container: name, port: port, reply: reply)
        onReadinessChange()
    }

    /// Makes probes that this simulation cannot evaluate (`exec`) succeed.
    public func markReady() {
        state.withLock { $0.explicitlyReady = true }
        onReadinessChange()
    }

    var isExplicitlyReady: Bool { state.withLock { $0.explicitlyReady } }

    /// Installs a SIGTERM handler: deletion no longer ends the program at once.
    public func trapTermination() {
        state.withLock { $0.trapsTermination = true }
    }

    /// Whether the pod is being deleted (SIGTERM was sent).
    public var isTerminationRequested: Bool { termination.isRaised }

    /// Returns when SIGTERM arrives (or the task is cancelled).
    public func waitForTermination() async {
        await termination.wait()
    }

    /// Sleeps; returns `true` when woken early by SIGTERM (or cancellation) instead.
    @discardableResult
    public func sleep(seconds: Double) async -> Bool {
        await termination.sleep(for: .milliseconds(Int((max(0, seconds) * 1000).rounded())))
    }

    /// Waits until `condition` holds for the cluster; re-checked on every change in the cluster
    /// and every port starting to listen. Returns `false` when SIGTERM (or cancellation) came first.
    public func waitUntil(_ condition: @escaping @Sendable (ClusterView) -> Bool) async -> Bool {
        let (changes, stop) = cluster.store.observe()
        defer { stop() }
        if condition(cluster) { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in changes {
                    if condition(self.cluster) { return true }
                }
                return false
            }
            group.addTask {
                await self.waitForTermination()
                return false
            }
            let result = await group.next() ?? false
            group.cancelAll()
            return result
        }
    }

    // MARK: Kubelet side

    /// Sends SIGTERM; returns whether the program handles it.
    func requestTermination() -> Bool {
        termination.raise()
        return state.withLock { $0.trapsTermination }
    }

    /// Records how the container ended; the first call wins (the program returning, SIGTERM, SIGKILL).
    func finish(_ exit: ContainerExit) {
        let waiter = state.withLock { state -> CheckedContinuation<ContainerExit, Never>? in
            guard state.exit == nil else { return nil }
            state.exit = exit
            defer { state.exitWaiter = nil }
            return state.exitWaiter
        }
        waiter?.resume(returning: exit)
        network.closeAll(pod: pod.uid, container: name)
    }

    /// Waits for ``finish(_:)``.
    func exitStatus() async -> ContainerExit {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> ContainerExit? in
                if let exit = state.exit { return exit }
                state.exitWaiter = continuation
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

/// The simulated cluster as a program inside a pod sees it: objects, DNS and TCP.
public struct ClusterView: Sendable {
    let store: ObjectStore
    let network: SimulatedNetwork
    /// The namespace of the pod looking, for DNS search paths.
    public let namespace: String

    /// Objects of a resource by plural name (`pods`, `services`, `jobs`...), in one namespace or all.
    public func objects(_ resource: String, namespace: String? = nil) -> [JSONValue] {
        guard let type = ResourceCatalog.standard.resource(plural: resource) else { return [] }
        return store.list(type, namespace: namespace).items
    }

    /// One object by plural resource name, namespace and name.
    public func object(_ resource: String, namespace: String, name: String) -> JSONValue? {
        guard let type = ResourceCatalog.standard.resource(plural: resource) else { return nil }
        return store.get(type, namespace: namespace, name: name)
    }

    /// Whether a pod's `Ready` condition is true.
    public static func isReady(_ pod: JSONValue) -> Bool {
        (pod[path: ["status", "conditions"]]?.arrayValue ?? []).contains {
            $0["type"] == "Ready" && $0["status"] == "True"
        }
    }

    /// The pod a host name resolves to, following cluster DNS for pods behind headless services.
    public func resolve(_ host: String) -> JSONValue? {
        network.resolve(host, from: namespace, store: store)
    }

    /// What a TCP connection to `host:port` would read: the listener's reply, or why it failed.
    public func connect(host: String, port: Int) -> Result<String, ConnectionError> {
        guard let pod = resolve(host) else { return .failure(.unknownHost(host)) }
        guard let reply = network.reply(pod: pod.uid, port: port) else {
            return .failure(.refused(host: host, port: port))
        }
        return .success(reply)
    }

    /// Why a simulated connection failed, worded like the C library.
    public enum ConnectionError: Error, Sendable, CustomStringConvertible {
        case unknownHost(String)
        case refused(host: String, port: Int)

        public var description: String {
            switch self {
            case .unknownHost(let host): "getaddrinfo \(host): Name or service not known"
            case .refused(let host, let port): "connect \(host):\(port): Connection refused"
            }
        }
    }
}
