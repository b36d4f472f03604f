import Synchronization

/// The identity of a stored object.
struct ObjectKey: Hashable, Sendable, Comparable {
    var namespace: String
    var name: String

    static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

/// The server's etcd: objects by resource and key, one global revision counter, and the watch hub.
///
/// Every write takes the next revision and becomes the object's `metadata.resourceVersion`,
/// exactly as etcd revisions do, so resourceVersions are comparable across all resources.
/// All methods are synchronous and atomic; callers never hold the lock across an `await`.
final class ObjectStore: Sendable {
    /// What a mutation decides to do with the object it was shown.
    enum Change: Sendable {
        case keep
        case put(JSONValue)
        case remove
    }

    private struct State: Sendable {
        var revision = 0
        var objects: [ResourceType: [ObjectKey: JSONValue]] = [:]
        var hub: WatchHub
    }

    private let state: Mutex<State>

    init(historyLimit: Int) {
        state = Mutex(State(hub: WatchHub(historyLimit: historyLimit)))
    }

    var revision: Int { state.withLock { $0.revision } }

    func get(_ resource: ResourceType, namespace: String, name: String) -> JSONValue? {
        state.withLock { $0.objects[resource]?[ObjectKey(namespace: namespace, name: name)] }
    }

    /// Objects of one resource, in one namespace or all (`nil`), sorted by namespace then name,
    /// with the revision the snapshot was taken at.
    func list(_ resource: ResourceType, namespace: String?) -> (items: [JSONValue], revision: Int) {
        state.withLock { state in
            let bucket = state.objects[resource] ?? [:]
            let keys = bucket.keys.filter { namespace == nil || $0.namespace == namespace }.sorted()
            return (keys.map { bucket[$0]! }, state.revision)
        }
    }

    /// Every object in `namespace` across all resources, for namespace deletion.
    func contents(ofNamespace namespace: String) -> [(ResourceType, JSONValue)] {
        state.withLock { state in
            var result: [(ResourceType, JSONValue)] = []
            for (resource, bucket) in state.objects where resource.namespaced {
                for (key, object) in bucket where key.namespace == namespace { result.append((resource, object)) }
            }
            return result
        }
    }

    /// Objects in `namespace` whose ownerReferences name `uid`.
    func dependents(of uid: String, namespace: String) -> [(ResourceType, JSONValue)] {
        state.withLock { state in
            var result: [(ResourceType, JSONValue)] = []
            for (resource, bucket) in state.objects {
                for (key, object) in bucket where key.namespace == namespace || !resource.namespaced {
                    let owners = object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
                    if owners.contains(where: { $0["uid"]?.stringValue == uid }) { result.append((resource, object)) }
                }
            }
            return result.sorted { $0.1.name < $1.1.name }
        }
    }

    /// Whether any object in `namespace` (or a cluster-scoped one) has this uid.
    func exists(uid: String, namespace: String) -> Bool {
        state.withLock { state in
            for (resource, bucket) in state.objects {
                for (key, object) in bucket
                where (key.namespace == namespace || !resource.namespaced) && object.uid == uid {
                    return true
                }
            }
            return false
        }
    }

    /// Reads, decides and writes one object atomically.
    ///
    /// `decide` sees the current object (or `nil`) and may throw to refuse. A `.put` stamps the
    /// next revision into `metadata.resourceVersion`; a `.put` equal to the current object is a
    /// no-op that keeps its revision, as an update that changes nothing does in Kubernetes.
    /// Returns the object as stored afterwards (for `.remove`, its last state).
    @discardableResult
    func mutate(
        _ resource: ResourceType, namespace: String, name: String,
        _ decide: (JSONValue?) throws(APIError) -> Change
    ) throws(APIError) -> JSONValue? {
        try state.withLock { (state: inout State) throws(APIError) -> JSONValue? in
            let key = ObjectKey(namespace: namespace, name: name)
            let current = state.objects[resource]?[key]
            switch try decide(current) {
            case .keep:
                return current
            case .put(var object):
                if let current, Self.withoutRevision(current) == Self.withoutRevision(object) { return current }
                state.revision += 1
                object[path: ["metadata", "resourceVersion"]] = .string(String(state.revision))
                state.objects[resource, default: [:]][key] = object
                state.hub.publish(
                    StoreEvent(
                        kind: current == nil ? .added : .modified, resource: resource, object: object,
                        oldObject: current, revision: state.revision))
                return object
            case .remove:
                guard var object = current else { return nil }
                state.revision += 1
                object[path: ["metadata", "resourceVersion"]] = .string(String(state.revision))
                state.objects[resource]?[key] = nil
                state.hub.publish(
                    StoreEvent(
                        kind: .deleted, resource: resource, object: object, oldObject: current,
                        revision: state.revision))
                return object
            }
        }
    }

    private static func withoutRevision(_ object: JSONValue) -> JSONValue {
        var object = object
        object[path: ["metadata", "resourceVersion"]] = nil
        return object
    }

    // MARK: Watching

    /// Starts a client watch: the events it must see first, and a stream of what follows.
    ///
    /// - `resourceVersion` `nil` or `0`: ADDED for every current object, then live events.
    /// - a number: the events after it from history, then live events; `nil` when it is older
    ///   than the history (the caller answers 410 Gone).
    /// `sendInitialEvents` adds the `k8s.io/initial-events-end` BOOKMARK after the initial ADDED
    /// events, as watch-list clients (client-go reflectors) expect.
    func watch(
        _ filter: WatchFilter, resourceVersion: Int?, sendInitialEvents: Bool
    ) -> (id: Int, initial: [WatchMessage], stream: AsyncStream<WatchMessage>, stop: @Sendable () -> Void)? {
        let (stream, continuation) = AsyncStream<WatchMessage>.makeStream()
        let registered: (Int, [WatchMessage])? = state.withLock { state in
            var initial: [WatchMessage]
            if sendInitialEvents || resourceVersion == nil || resourceVersion == 0 {
                let bucket = state.objects[filter.resource] ?? [:]
                initial = bucket.keys.sorted().compactMap { key in
                    let object = bucket[key]!
                    return filter.matches(object) ? WatchMessage(type: "ADDED", object: object) : nil
                }
            } else {
                guard let replay = state.hub.replay(after: resourceVersion!, filter: filter) else { return nil }
                initial = replay
            }
            let id = state.hub.addWatcher(filter, continuation)
            return (id, initial)
        }
        guard let (id, initial) = registered else {
            continuation.finish()
            return nil
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { $0.hub.removeWatcher(id) } }
        return (id, initial, stream, { continuation.finish() })
    }

    /// The oldest revision a watch can still resume from, for 410 messages.
    var compactedRevision: Int { state.withLock { $0.hub.compactedRevision } }

    func bookmark(_ watcher: Int, annotations: [String: String] = [:]) {
        state.withLock { $0.hub.bookmark(watcher, revision: $0.revision, annotations: annotations) }
    }

    /// Ends every client watch stream now, as an API server restart or a load balancer would.
    func dropWatchers() {
        let dropped = state.withLock { $0.hub.dropWatchers() }
        for continuation in dropped { continuation.finish() }
    }

    var watcherCount: Int { state.withLock { $0.hub.watcherCount } }

    /// Makes every revision so far too old to watch from.
    ///
    /// The revision advances first, so that a list taken afterwards returns a revision that *can*
    /// be watched from: a client that relists after its 410 recovers, as it would from etcd compaction.
    func expireHistory() {
        state.withLock { state in
            state.revision += 1
            state.hub.expire(through: state.revision)
        }
    }

    /// Every change from now on, for the simulated controllers; `nil` elements are pokes from
    /// outside the store. The stream ends when the store shuts down or `stop` is called; an
    /// observer that stops iterating early must call `stop`, since the hub keeps the stream alive.
    func observe() -> (events: AsyncStream<StoreEvent?>, stop: @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream<StoreEvent?>.makeStream()
        let id = state.withLock { $0.hub.addObserver(continuation) }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { $0.hub.removeObserver(id) } }
        return (stream, { continuation.finish() })
    }

    func poke() {
        state.withLock { $0.hub.poke() }
    }

    func shutdown() {
        let (watchers, observers) = state.withLock { $0.hub.removeAll() }
        for continuation in watchers { continuation.finish() }
        for continuation in observers { continuation.finish() }
    }
}
