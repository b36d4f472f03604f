import Synchronization

/// The simulated pod network: which ports each pod listens on, and cluster DNS for pods.
///
/// Nothing here touches real sockets; a "connection" is a lookup that returns the listener's
/// greeting, which is all the conformance programs exchange.
final class SimulatedNetwork: Sendable {
    private struct Listener: Sendable {
        var container: String
        var reply: String
    }

    /// Pod uid → port → listener.
    private let listeners = Mutex<[String: [Int: Listener]]>([:])
    private let onChange: @Sendable () -> Void

    /// `onChange` runs after every listener change, outside the lock.
    init(onChange: @escaping @Sendable () -> Void) {
        self.onChange = onChange
    }

    func listen(pod uid: String, container: String, port: Int, reply: String) {
        listeners.withLock { $0[uid, default: [:]][port] = Listener(container: container, reply: reply) }
        onChange()
    }

    func closeAll(pod uid: String, container: String) {
        let changed = listeners.withLock { listeners -> Bool in
            guard let ports = listeners[uid] else { return false }
            let kept = ports.filter { $0.value.container != container }
            listeners[uid] = kept.isEmpty ? nil : kept
            return kept.count != ports.count
        }
        if changed { onChange() }
    }

    func remove(pod uid: String) {
        let changed = listeners.withLock { $0.removeValue(forKey: uid) != nil }
        if changed { onChange() }
    }

    func reply(pod uid: String, port: Int) -> String? {
        listeners.withLock { $0[uid]?[port]?.reply }
    }

    func isListening(pod uid: String, port: Int) -> Bool {
        reply(pod: uid, port: port) != nil
    }

    /// Resolves a pod's DNS name as CoreDNS does for pods behind a headless Service:
    /// `<hostname>.<subdomain>.<namespace>.svc.cluster.local` (or a shorter form inside the
    /// namespace's search path) names a pod with that `spec.hostname` and `spec.subdomain`, if a
    /// headless Service named like the subdomain selects it and it is ready (or the Service
    /// publishes not-ready addresses).
    func resolve(_ host: String, from namespace: String, store: ObjectStore) -> JSONValue? {
        var labels = host.split(separator: ".").map(String.init)
        if labels.last == "" { labels.removeLast() }
        if labels.count >= 4, labels.suffix(2) == ["cluster", "local"] { labels.removeLast(2) }
        if labels.count >= 3, labels.last == "svc" { labels.removeLast() }
        let podNamespace: String
        switch labels.count {
        case 2: podNamespace = namespace
        case 3: podNamespace = labels[2]
        default: return nil
        }
        let hostname = labels[0]
        let subdomain = labels[1]
        guard let service = store.get(ResourceCatalog.services, namespace: podNamespace, name: subdomain),
            service[path: ["spec", "clusterIP"]]?.stringValue == "None",
            let selector = service[path: ["spec", "selector"]]?.stringMap, !selector.isEmpty
        else { return nil }
        let publishNotReady = service[path: ["spec", "publishNotReadyAddresses"]]?.boolValue == true
        return store.list(ResourceCatalog.pods, namespace: podNamespace).items.first { pod in
            pod[path: ["spec", "hostname"]]?.stringValue == hostname
                && pod[path: ["spec", "subdomain"]]?.stringValue == subdomain
                && selector.allSatisfy { pod.labels[$0.key] == $0.value }
                && !ObjectMeta.isDeleting(pod)
                && (publishNotReady || ClusterView.isReady(pod))
        }
    }
}
