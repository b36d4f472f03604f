public import Foundation
import Synchronization

/// A Kubernetes API server for tests: real REST semantics on loopback, with simulated
/// controllers and a simulated node, good enough for the real `kubectl` and for testing a
/// Kubernetes backend without a cluster.
///
/// ```swift
/// try await withKubernetesTestServer { server in
///     let kubeconfig = server.kubeconfig()          // point a client or kubectl here
///     server.faults.inject(.status(429, retryAfterSeconds: 1), matching: .init(method: .POST), times: 1)
///     // ... run the code under test against server.baseURL ...
///     #expect(server.objects("pods", namespace: "tyger").isEmpty)
/// }
/// ```
///
/// What it serves (plain HTTP on 127.0.0.1; the client's TLS handling needs its own tests):
/// - discovery (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/batch/v1`, `/apis/apps/v1`) for
///   namespaces, configmaps, secrets, services, serviceaccounts, pods (with `log` and `status`),
///   events, batch/v1 jobs and apps/v1 statefulsets (with `scale`); `/openapi/*` is 404, so
///   `kubectl apply` needs `--validate=false`;
/// - get, list (label and field selectors, `limit`/`continue`), create (`generateName`,
///   validation with 422s), update (409 on a stale resourceVersion), patch (JSON patch, merge
///   patch, strategic merge patch with merge keys and directives, server-side apply),
///   delete (graceful for pods, finalizers, propagation; batch/v1 Jobs orphan their pods by
///   default, with the API server's warning), delete-collection, and watch (resume from a
///   resourceVersion, bookmarks, `sendInitialEvents`, 410 Gone, `timeoutSeconds`);
/// - `meta.k8s.io/v1` Tables when asked for (so `kubectl get` prints READY, STATUS, ...);
/// - errors as `v1 Status` objects, worded as the API server words them.
///
/// All storage is in memory: one global revision counter, as in etcd, gives every write its
/// `resourceVersion`. Nothing authenticates or authorizes: any bearer token is accepted.
///
/// What runs inside: a garbage collector, namespace deletion, the Job and StatefulSet
/// controllers, and a kubelet whose containers are simulated by a ``PodBehavior``
/// (``ConformancePodBehavior`` by default). See ``Configuration`` for the timing knobs.
public final class KubernetesTestServer: Sendable {
    /// How the server is set up.
    public struct Configuration: Sendable {
        /// The loopback port to bind; 0 picks an ephemeral one.
        public var port: Int = 0
        /// Namespaces that exist from the start, each with its `default` service account.
        public var namespaces: [String] = ["default", "tyger"]
        /// Service accounts that exist from the start in every namespace besides `default`:
        /// the job account Tyger's installer creates (`tyger-job`), so the server stands for a
        /// Tyger-installed cluster. Pods naming an account that does not exist are refused, as
        /// the ServiceAccount admission plugin refuses them.
        public var serviceAccounts: [String] = ["tyger-job"]
        /// What `/version` reports.
        public var versionMajor = "1"
        public var versionMinor = "34"
        /// What the simulated containers do.
        public var podBehavior: any PodBehavior = ConformancePodBehavior()
        /// Whether pods run at all. Without the kubelet, pods stay Pending and are deleted at once.
        public var simulatesKubelet = true
        /// Whether the Job and StatefulSet controllers run.
        public var runsWorkloadControllers = true
        /// The delay before each container start (image pull and container creation).
        public var containerStartDelay: Duration = .milliseconds(20)
        /// How long a deleted pod's containers get after SIGTERM before SIGKILL. Kubernetes would
        /// wait up to `terminationGracePeriodSeconds` (30 s by default); the simulation uses this
        /// instead, whatever the pod or the DELETE asks for (except 0, which deletes at once).
        public var terminationGracePeriod: Duration = .milliseconds(200)
        /// The pause before restarting a container that exited (CrashLoopBackOff is 10 s and up in Kubernetes).
        public var restartBackoff: Duration = .milliseconds(100)
        /// How often watches that allow bookmarks receive one (about once a minute in Kubernetes).
        public var bookmarkInterval: Duration = .seconds(1)
        /// How many changes watch history keeps; resuming from before them gets 410 Gone.
        public var watchHistoryLimit = 10_000

        public init() {}
    }

    /// `http://127.0.0.1:<port>`.
    public let baseURL: URL
    /// Injected failures, watch drops and history expiry.
    public let faults: FaultInjector

    let registry: Registry
    private let http: HTTPServer
    private let log: RequestLog
    private let logs: PodLogs
    private let background: [Task<Void, Never>]

    private init(
        baseURL: URL, faults: FaultInjector, registry: Registry, http: HTTPServer, log: RequestLog, logs: PodLogs,
        background: [Task<Void, Never>]
    ) {
        self.baseURL = baseURL
        self.faults = faults
        self.registry = registry
        self.http = http
        self.log = log
        self.logs = logs
        self.background = background
    }

    /// Starts a server on an ephemeral loopback port.
    public static func start(configuration: Configuration = Configuration()) async throws -> KubernetesTestServer {
        let store = ObjectStore(historyLimit: configuration.watchHistoryLimit)
        let registry = Registry(
            store: store, catalog: .standard, gracefulPodDeletion: configuration.simulatesKubelet)
        for namespace in configuration.namespaces {
            _ = try? registry.create(ResourceCatalog.namespaces, namespace: "", body: ["metadata": ["name": .string(namespace)]])
            for account in configuration.serviceAccounts {
                _ = try? registry.create(
                    ResourceCatalog.serviceAccounts, namespace: namespace,
                    body: ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(account)]])
            }
        }
        let logs = PodLogs(onAppend: { store.poke() })
        let faults = FaultInjector(store: store, logs: logs)
        let requestLog = RequestLog()
        let address = AddressBox()
        let router = Router(
            registry: registry, logs: logs, faults: faults, requestLog: requestLog,
            version: (configuration.versionMajor, configuration.versionMinor),
            bookmarkInterval: configuration.bookmarkInterval, serverAddress: { address.value })
        let http = try await HTTPServer.start(host: "127.0.0.1", port: configuration.port) { request in
            await router.handle(request)
        }
        address.value = "127.0.0.1:\(http.port)"

        var background: [Task<Void, Never>] = []
        let collector = GarbageCollector(registry: registry)
        background.append(Task { await collector.run() })
        if configuration.runsWorkloadControllers {
            let jobs = JobController(registry: registry)
            let sets = StatefulSetController(registry: registry)
            background.append(Task { await jobs.run() })
            background.append(Task { await sets.run() })
        }
        if configuration.simulatesKubelet {
            let network = SimulatedNetwork(onChange: { store.poke() })
            let kubelet = Kubelet(
                registry: registry, logs: logs, network: network, behavior: configuration.podBehavior,
                timing: SimulationTiming(
                    containerStartDelay: configuration.containerStartDelay,
                    terminationGracePeriod: configuration.terminationGracePeriod,
                    restartBackoff: configuration.restartBackoff))
            background.append(Task { await kubelet.run() })
        }
        return KubernetesTestServer(
            baseURL: URL(string: "http://127.0.0.1:\(http.port)")!, faults: faults, registry: registry, http: http,
            log: requestLog, logs: logs, background: background)
    }

    /// Stops serving, ends every watch and stream, and stops the controllers and pods.
    public func shutdown() async throws {
        registry.store.shutdown()
        for task in background { task.cancel() }
        await http.shutdown()
        for task in background { await task.value }
    }

    // MARK: Inspection

    /// Every request received so far, oldest first.
    public var requests: [RecordedRequest] { log.all }

    /// Forgets the request log, e.g. after setting up fixtures.
    public func clearRequests() {
        log.clear()
    }

    /// The current global resourceVersion (the last write's revision).
    public var resourceVersion: Int { registry.store.revision }

    /// One stored object by plural resource name (`pods`, `jobs`, `statefulsets`, ...);
    /// `namespace` is ignored for cluster-scoped resources.
    public func object(_ resource: String, namespace: String = "", name: String) -> JSONValue? {
        guard let type = registry.catalog.resource(plural: resource) else { return nil }
        return registry.store.get(type, namespace: type.namespaced ? namespace : "", name: name)
    }

    /// Stored objects of a resource, in one namespace or all, sorted by namespace and name.
    public func objects(_ resource: String, namespace: String? = nil) -> [JSONValue] {
        guard let type = registry.catalog.resource(plural: resource) else { return [] }
        return registry.store.list(type, namespace: type.namespaced ? namespace : nil).items
    }

    /// Creates an object as a client's POST would (defaulting, validation, admission), without HTTP
    /// and without a request-log entry. The resource comes from `apiVersion` and `kind`.
    @discardableResult
    public func create(_ object: JSONValue, namespace: String = "tyger") throws -> JSONValue {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        guard let type = registry.catalog.resource(apiVersion: apiVersion, kind: kind) else {
            throw KubernetesStatusError(APIError.badRequest("no resource serves \(apiVersion) \(kind)"))
        }
        do {
            return try registry.create(type, namespace: type.namespaced ? namespace : "", body: object)
        } catch {
            throw KubernetesStatusError(error)
        }
    }

    /// Deletes an object as a client's DELETE would, with Background propagation by default.
    public func delete(_ resource: String, namespace: String = "tyger", name: String, propagationPolicy: String = "Background") throws {
        guard let type = registry.catalog.resource(plural: resource) else {
            throw KubernetesStatusError(APIError.badRequest("no resource named \(resource)"))
        }
        do {
            _ = try registry.delete(
                type, namespace: type.namespaced ? namespace : "", name: name,
                options: DeleteOptions(propagationPolicy: propagationPolicy))
        } catch {
            throw KubernetesStatusError(error)
        }
    }

    /// The log lines of a pod's container (the only container when `nil`), current instance.
    public func podLog(namespace: String = "tyger", pod: String, container: String? = nil) -> [String] {
        guard let object = object("pods", namespace: namespace, name: pod) else { return [] }
        let name = container ?? object[path: ["spec", "containers"]]?[0]?["name"]?.stringValue ?? ""
        return logs.lines(pod: object.uid, container: name, previous: false)?.map(\.text) ?? []
    }

    /// Waits until `condition` holds, re-checking after every change in the store, every log
    /// line and every simulated port starting or stopping to listen.
    ///
    /// - Throws: ``KubernetesTestServerError/timedOut(_:)`` after `timeout`.
    public func waitUntil(
        timeout: Duration = .seconds(30), _ description: String = "condition",
        _ condition: @escaping @Sendable (KubernetesTestServer) -> Bool
    ) async throws {
        let (changes, stop) = registry.store.observe()
        defer { stop() }
        if condition(self) { return }
        let satisfied = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in changes where condition(self) { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let result = await group.next() ?? false
            group.cancelAll()
            return result
        }
        if !satisfied && !condition(self) { throw KubernetesTestServerError.timedOut(description) }
    }

    /// A kubeconfig for this server: cluster, user and context `tyger-test`, default namespace `namespace`.
    public func kubeconfig(namespace: String = "tyger") -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: tyger-test
          cluster:
            server: \(baseURL.absoluteString)
        users:
        - name: tyger-test
          user:
            token: test-token
        contexts:
        - name: tyger-test
          context:
            cluster: tyger-test
            user: tyger-test
            namespace: \(namespace)
        current-context: tyger-test

        """
    }
}

/// Runs `body` with a started server and shuts it down afterwards, even when `body` throws.
public func withKubernetesTestServer<Result: Sendable>(
    configuration: KubernetesTestServer.Configuration = KubernetesTestServer.Configuration(),
    _ body: (KubernetesTestServer) async throws -> Result
) async throws -> Result {
    let server = try await KubernetesTestServer.start(configuration: configuration)
    do {
        let result = try await body(server)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// A failure of the test server's own API (not an HTTP response).
public enum KubernetesTestServerError: Error, Sendable, CustomStringConvertible {
    /// ``KubernetesTestServer/waitUntil(timeout:_:_:)`` gave up.
    case timedOut(String)

    public var description: String {
        switch self {
        case .timedOut(let what): "timed out waiting for \(what)"
        }
    }
}

/// A refused API call made through ``KubernetesTestServer``'s Swift API, with the `Status` an
/// HTTP client would have received.
public struct KubernetesStatusError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code.
    public let code: Int
    /// `NotFound`, `AlreadyExists`, `Invalid`, ...
    public let reason: String
    public let message: String
    /// The full `v1 Status` object.
    public let status: JSONValue

    init(_ error: APIError) {
        code = error.code
        reason = error.reason
        message = error.message
        status = error.status
    }

    public var description: String { "\(code) \(reason): \(message)" }
}

/// The bound address, known only after binding but needed by the router built before it.
private final class AddressBox: Sendable {
    private let stored = Mutex("127.0.0.1")

    var value: String {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
