import Foundation
import Synchronization

/// The StatefulSet controller (apps/v1), reduced to what a worker backend observes.
///
/// Keeps pods `<name>-0` … `<name>-<replicas-1>` in existence, all at once with
/// `podManagementPolicy: Parallel`, one at a time (each waiting for the previous to be Ready)
/// with `OrderedReady`. Each pod gets the template's labels plus `apps.kubernetes.io/pod-index`,
/// `statefulset.kubernetes.io/pod-name` and `controller-revision-hash`, `spec.hostname` =
/// its name and `spec.subdomain` = `serviceName`. A pod that is deleted, or that reaches
/// phase Failed or Succeeded, is replaced under the same name. Containers that exit are
/// restarted in place by the kubelet (`restartPolicy: Always`, `restartCount` increments),
/// not by this controller. Template changes are not rolled out to existing pods.
final class StatefulSetController: Sendable {
    let registry: Registry
    private var store: ObjectStore { registry.store }
    private let retries = Mutex<Set<String>>([])

    init(registry: Registry) {
        self.registry = registry
    }

    func run() async {
        let (events, stop) = store.observe()
        defer { stop() }
        for set in store.list(ResourceCatalog.statefulSets, namespace: nil).items {
            reconcile(namespace: set.namespace, name: set.name)
        }
        for await event in events {
            guard let event else { continue }
            switch event.resource {
            case ResourceCatalog.statefulSets where event.kind != .deleted:
                reconcile(namespace: event.object.namespace, name: event.object.name)
            case ResourceCatalog.pods:
                for owner in event.object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
                where owner["kind"] == "StatefulSet" && owner["controller"] == true {
                    reconcile(namespace: event.object.namespace, name: owner["name"]?.stringValue ?? "")
                }
            default: break
            }
        }
    }

    private func reconcile(namespace: String, name: String) {
        guard let set = store.get(ResourceCatalog.statefulSets, namespace: namespace, name: name),
            !ObjectMeta.isDeleting(set)
        else { return }
        let spec = set["spec"] ?? [:]
        let replicas = spec["replicas"]?.intValue ?? 1
        let parallel = spec["podManagementPolicy"]?.stringValue == "Parallel"
        let revision = "\(name)-\(Self.hash(spec["template"] ?? [:]))"
        let selector = (try? LabelSelector(object: spec["selector"])) ?? LabelSelector(requirements: [], selectsNothing: true)

        var pods: [Int: JSONValue] = [:]
        for pod in store.list(ResourceCatalog.pods, namespace: namespace).items {
            guard let index = Self.ordinal(of: pod.name, set: name) else { continue }
            if ObjectMeta.isControlled(pod, by: set) {
                pods[index] = pod
            } else if pod[path: ["metadata", "ownerReferences"]] == nil, selector.matches(pod.labels) {
                // An orphan that matches the selector is adopted, as after an Orphan deletion of a previous set.
                if let adopted = registry.modify(ResourceCatalog.pods, namespace: namespace, name: pod.name, uid: pod.uid, {
                    $0[path: ["metadata", "ownerReferences"]] = [
                        ObjectMeta.controllerReference(to: set, resource: ResourceCatalog.statefulSets)
                    ]
                }) {
                    pods[index] = adopted
                }
            }
        }

        for index in 0..<replicas {
            if let pod = pods[index] {
                if JobController.isTerminal(pod), !ObjectMeta.isDeleting(pod) {
                    delete(pod)
                }
                if !parallel && !(ClusterView.isReady(pod) && !ObjectMeta.isDeleting(pod)) { break }
                continue
            }
            if !create(index: index, set: set, revision: revision) { break }
            if !parallel { break }
        }
        for (index, pod) in pods where index >= replicas && !ObjectMeta.isDeleting(pod) {
            delete(pod)
        }

        let current = store.list(ResourceCatalog.pods, namespace: namespace).items.filter {
            ObjectMeta.isControlled($0, by: set)
        }
        let ready = current.filter { ClusterView.isReady($0) && !ObjectMeta.isDeleting($0) }.count
        registry.modify(ResourceCatalog.statefulSets, namespace: namespace, name: name, uid: set.uid) { object in
            object["status"] = [
                "observedGeneration": object[path: ["metadata", "generation"]] ?? 1,
                "replicas": JSONValue(current.count), "readyReplicas": JSONValue(ready),
                "availableReplicas": JSONValue(ready), "currentReplicas": JSONValue(current.count),
                "updatedReplicas": JSONValue(current.count), "currentRevision": .string(revision),
                "updateRevision": .string(revision), "collisionCount": 0,
            ]
        }
    }

    /// Creates pod `index`; `false` when it could not be (the error is recorded as an event).
    private func create(index: Int, set: JSONValue, revision: String) -> Bool {
        let template = set[path: ["spec", "template"]] ?? [:]
        let podName = "\(set.name)-\(index)"
        var metadata = template["metadata"] ?? [:]
        metadata["name"] = .string(podName)
        metadata["generateName"] = nil
        metadata[path: ["labels", "apps.kubernetes.io/pod-index"]] = .string(String(index))
        metadata[path: ["labels", "statefulset.kubernetes.io/pod-name"]] = .string(podName)
        metadata[path: ["labels", "controller-revision-hash"]] = .string(revision)
        metadata["ownerReferences"] = [ObjectMeta.controllerReference(to: set, resource: ResourceCatalog.statefulSets)]
        var spec = template["spec"] ?? [:]
        spec["hostname"] = .string(podName)
        if let service = set[path: ["spec", "serviceName"]]?.stringValue, !service.isEmpty {
            spec["subdomain"] = .string(service)
        }
        do {
            try registry.create(
                ResourceCatalog.pods, namespace: set.namespace,
                body: ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec])
            return true
        } catch {
            if error.code == 409 { return true }
            EventRecorder.record(
                registry, involving: set, resource: ResourceCatalog.statefulSets, type: "Warning", reason: "FailedCreate",
                message: "create Pod \(podName) in StatefulSet \(set.name) failed error: \(error.message)",
                component: "statefulset-controller")
            retry(namespace: set.namespace, name: set.name)
            return false
        }
    }

    private func delete(_ pod: JSONValue) {
        _ = try? registry.delete(
            ResourceCatalog.pods, namespace: pod.namespace, name: pod.name,
            options: DeleteOptions(propagationPolicy: "Background", preconditionUID: pod.uid))
    }

    private func retry(namespace: String, name: String) {
        let key = namespace + "/" + name
        guard retries.withLock({ $0.insert(key).inserted }) else { return }
        Task {
            try? await Task.sleep(for: .milliseconds(500))
            _ = self.retries.withLock { $0.remove(key) }
            self.reconcile(namespace: namespace, name: name)
        }
    }

    static func ordinal(of podName: String, set: String) -> Int? {
        guard podName.hasPrefix(set + "-") else { return nil }
        let suffix = podName.dropFirst(set.count + 1)
        guard let index = Int(suffix), String(index) == suffix, index >= 0 else { return nil }
        return index
    }

    /// A stable short hash of the template, standing in for the ControllerRevision name.
    static func hash(_ template: JSONValue) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in template.serialized.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return String(String(value, radix: 36).prefix(10))
    }
}
