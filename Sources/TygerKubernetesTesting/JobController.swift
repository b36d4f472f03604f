import Foundation
import Synchronization

/// The Job controller (batch/v1), reduced to what a batch backend observes.
///
/// Runs `parallelism` pods at a time until `completions` succeed (per index for `Indexed`
/// Jobs), replaces failed pods until more than `backoffLimit` have failed, enforces
/// `activeDeadlineSeconds`, and keeps `status` (active, ready, succeeded, failed, terminating,
/// startTime, completionTime, completedIndexes, conditions) as Kubernetes 1.31+ does: the
/// `SuccessCriteriaMet`/`FailureTarget` condition first, then `Complete`/`Failed` once no pod
/// is still running. Finished Jobs with `ttlSecondsAfterFinished` are deleted after the TTL,
/// with Foreground propagation as the TTL-after-finished controller does.
final class JobController: Sendable {
    let registry: Registry
    private var store: ObjectStore { registry.store }

    private struct Tracking: Sendable {
        /// Pod uid → completion index (or -1), for pods that ended; counts survive pod deletion.
        var succeeded: [String: Int] = [:]
        var failed: Set<String> = []
        var timers: Set<String> = []
    }

    /// Job uid → what the controller remembers about it.
    private let tracking = Mutex<[String: Tracking]>([:])

    init(registry: Registry) {
        self.registry = registry
    }

    func run() async {
        let (events, stop) = store.observe()
        defer { stop() }
        for job in store.list(ResourceCatalog.jobs, namespace: nil).items { reconcile(namespace: job.namespace, name: job.name) }
        for await event in events {
            guard let event else { continue }
            switch event.resource {
            case ResourceCatalog.jobs:
                if event.kind == .deleted {
                    _ = tracking.withLock { $0.removeValue(forKey: event.object.uid) }
                } else {
                    reconcile(namespace: event.object.namespace, name: event.object.name)
                }
            case ResourceCatalog.pods:
                for owner in event.object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
                where owner["kind"] == "Job" && owner["controller"] == true {
                    reconcile(namespace: event.object.namespace, name: owner["name"]?.stringValue ?? "")
                }
            default: break
            }
        }
    }

    // MARK: Reconciling

    private func reconcile(namespace: String, name: String) {
        guard let job = store.get(ResourceCatalog.jobs, namespace: namespace, name: name), !ObjectMeta.isDeleting(job)
        else { return }
        let spec = job["spec"] ?? [:]
        let status = job["status"] ?? [:]
        let uid = job.uid
        let indexed = spec["completionMode"]?.stringValue == "Indexed"
        let completions = spec["completions"]?.intValue
        let parallelism = spec["parallelism"]?.intValue ?? 1
        let backoffLimit = spec["backoffLimit"]?.intValue ?? 6
        let suspended = spec["suspend"]?.boolValue == true
        let now = Date()

        let pods = store.list(ResourceCatalog.pods, namespace: namespace).items.filter {
            ObjectMeta.isControlled($0, by: job)
        }
        let (succeeded, failed) = tracking.withLock { tracking -> ([String: Int], Set<String>) in
            var record = tracking[uid] ?? Tracking()
            for pod in pods {
                switch pod[path: ["status", "phase"]]?.stringValue {
                case "Succeeded": record.succeeded[pod.uid] = Self.index(of: pod) ?? -1
                case "Failed": record.failed.insert(pod.uid)
                default: break
                }
            }
            tracking[uid] = record
            return (record.succeeded, record.failed)
        }
        let running = pods.filter { !Self.isTerminal($0) }
        let active = running.filter { !ObjectMeta.isDeleting($0) }
        let terminating = running.filter(ObjectMeta.isDeleting)
        let succeededIndexes = Set(succeeded.values.filter { $0 >= 0 })

        var conditions = status["conditions"]?.arrayValue ?? []
        func hasCondition(_ type: String) -> Bool {
            conditions.contains { $0["type"]?.stringValue == type && $0["status"] == "True" }
        }
        func addCondition(_ type: String, reason: String, message: String) {
            guard !hasCondition(type) else { return }
            let time = JSONValue.string(ObjectMeta.timestamp(now))
            conditions.append([
                "type": .string(type), "status": "True", "reason": .string(reason), "message": .string(message),
                "lastProbeTime": time, "lastTransitionTime": time,
            ])
        }
        var startTime = status["startTime"]?.stringValue
        if startTime == nil && !suspended { startTime = ObjectMeta.timestamp(now) }

        let finishedBefore = hasCondition("Complete") || hasCondition("Failed")
        if !finishedBefore && !hasCondition("FailureTarget") && !hasCondition("SuccessCriteriaMet") {
            let deadline = spec["activeDeadlineSeconds"]?.intValue
            let started = ObjectMeta.date(startTime) ?? now
            let complete: Bool
            if indexed {
                complete = succeededIndexes.count >= (completions ?? 1)
            } else if let completions {
                complete = succeeded.count >= completions
            } else {
                complete = !succeeded.isEmpty && active.isEmpty
            }
            if complete {
                addCondition("SuccessCriteriaMet", reason: "CompletionsReached", message: "Reached expected number of succeeded pods")
            } else if failed.count > backoffLimit {
                addCondition("FailureTarget", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit")
            } else if let deadline, !suspended, now.timeIntervalSince(started) >= Double(deadline) {
                addCondition("FailureTarget", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline")
            } else if let deadline, !suspended {
                scheduleTimer(uid: uid, kind: "deadline", at: started.addingTimeInterval(Double(deadline)), namespace: namespace, name: name)
            }
        }

        var toDelete: [JSONValue] = []
        if hasCondition("FailureTarget") || hasCondition("SuccessCriteriaMet") || suspended {
            toDelete = active
        } else {
            createPods(
                for: job, indexed: indexed, completions: completions, parallelism: parallelism, active: active,
                succeededCount: succeeded.count, succeededIndexes: succeededIndexes)
        }
        if running.isEmpty {
            if let target = conditions.first(where: { $0["type"] == "FailureTarget" && $0["status"] == "True" }) {
                addCondition("Failed", reason: target["reason"]?.stringValue ?? "", message: target["message"]?.stringValue ?? "")
            } else if hasCondition("SuccessCriteriaMet") {
                addCondition("Complete", reason: "CompletionsReached", message: "Reached expected number of succeeded pods")
            }
        }

        var next = status
        next["conditions"] = conditions.isEmpty ? nil : .array(conditions)
        if let startTime { next["startTime"] = .string(startTime) }
        next["active"] = active.isEmpty ? nil : JSONValue(active.count)
        next["ready"] = JSONValue(active.filter(ClusterView.isReady).count)
        next["succeeded"] = succeeded.isEmpty ? nil : JSONValue(succeeded.count)
        next["failed"] = failed.isEmpty ? nil : JSONValue(failed.count)
        next["terminating"] = JSONValue(terminating.count)
        next["uncountedTerminatedPods"] = [:]
        if indexed { next["completedIndexes"] = succeededIndexes.isEmpty ? nil : .string(Self.ranges(succeededIndexes)) }
        if hasCondition("Complete"), next["completionTime"] == nil { next["completionTime"] = .string(ObjectMeta.timestamp(now)) }
        registry.modify(ResourceCatalog.jobs, namespace: namespace, name: name, uid: uid) { $0["status"] = next }

        for pod in toDelete {
            _ = try? registry.delete(
                ResourceCatalog.pods, namespace: namespace, name: pod.name,
                options: DeleteOptions(propagationPolicy: "Background", preconditionUID: pod.uid))
        }
        if let ttl = spec["ttlSecondsAfterFinished"]?.intValue,
            let finished = conditions.first(where: { ($0["type"] == "Complete" || $0["type"] == "Failed") && $0["status"] == "True" }),
            let finishedAt = ObjectMeta.date(finished["lastTransitionTime"]?.stringValue)
        {
            let due = finishedAt.addingTimeInterval(Double(ttl))
            if due <= Date() {
                _ = try? registry.delete(
                    ResourceCatalog.jobs, namespace: namespace, name: name,
                    options: DeleteOptions(propagationPolicy: "Foreground", preconditionUID: uid))
            } else {
                scheduleTimer(uid: uid, kind: "ttl", at: due, namespace: namespace, name: name)
            }
        }
    }

    private func createPods(
        for job: JSONValue, indexed: Bool, completions: Int?, parallelism: Int, active: [JSONValue],
        succeededCount: Int, succeededIndexes: Set<Int>
    ) {
        var indexes: [Int?] = []
        if indexed {
            let busy = Set(active.compactMap(Self.index(of:)))
            let free = (0..<(completions ?? 1)).filter { !succeededIndexes.contains($0) && !busy.contains($0) }
            indexes = Array(free.prefix(max(0, parallelism - active.count)))
        } else {
            let remaining = completions.map { $0 - succeededCount } ?? (succeededCount > 0 ? 0 : parallelism)
            let wanted = min(parallelism, max(0, remaining))
            indexes = Array(repeating: nil, count: max(0, wanted - active.count))
        }
        for index in indexes {
            let pod = Self.pod(for: job, index: index)
            do {
                try registry.create(ResourceCatalog.pods, namespace: job.namespace, body: pod)
            } catch {
                recordEvent(for: job, reason: "FailedCreate", message: "Error creating: \(error.message)")
                // The real controller retries with back-off; a fixed short retry is enough here.
                scheduleTimer(
                    uid: job.uid, kind: "retry", at: Date().addingTimeInterval(0.5), namespace: job.namespace, name: job.name)
                return
            }
        }
    }

    /// A pod from the Job's template, named, labelled and annotated as the Job controller does.
    static func pod(for job: JSONValue, index: Int?) -> JSONValue {
        let template = job[path: ["spec", "template"]] ?? [:]
        var metadata: JSONValue = template["metadata"] ?? [:]
        metadata["name"] = nil
        metadata["generateName"] = .string(index.map { "\(job.name)-\($0)-" } ?? "\(job.name)-")
        metadata["ownerReferences"] = [ObjectMeta.controllerReference(to: job, resource: ResourceCatalog.jobs)]
        var spec = template["spec"] ?? [:]
        if let index {
            metadata[path: ["labels", "batch.kubernetes.io/job-completion-index"]] = .string(String(index))
            metadata[path: ["annotations", "batch.kubernetes.io/job-completion-index"]] = .string(String(index))
            // Indexed pods get a stable host name and the index in their environment.
            spec["hostname"] = .string("\(job.name)-\(index)")
            let indexVariable: JSONValue = [
                "name": "JOB_COMPLETION_INDEX",
                "valueFrom": ["fieldRef": ["fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"]],
            ]
            for field in ["initContainers", "containers"] {
                guard let containers = spec[field]?.arrayValue else { continue }
                spec[field] = .array(containers.map { container in
                    var container = container
                    container["env"] = .array([indexVariable] + (container["env"]?.arrayValue ?? []))
                    return container
                })
            }
        }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec]
    }

    static func index(of pod: JSONValue) -> Int? {
        pod.labels["batch.kubernetes.io/job-completion-index"].flatMap { Int($0) }
    }

    static func isTerminal(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// `0-2,4`, as `status.completedIndexes` is written.
    static func ranges(_ indexes: Set<Int>) -> String {
        var parts: [String] = []
        var sorted = indexes.sorted()[...]
        while let start = sorted.popFirst() {
            var end = start
            while sorted.first == end + 1 { end = sorted.popFirst()! }
            parts.append(start == end ? "\(start)" : "\(start)-\(end)")
        }
        return parts.joined(separator: ",")
    }

    private func scheduleTimer(uid: String, kind: String, at due: Date, namespace: String, name: String) {
        let fresh = tracking.withLock { $0[uid, default: Tracking()].timers.insert(kind).inserted }
        guard fresh else { return }
        Task {
            let delay = max(0, due.timeIntervalSinceNow)
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 5))
            _ = self.tracking.withLock { $0[uid]?.timers.remove(kind) }
            self.reconcile(namespace: namespace, name: name)
        }
    }

    private func recordEvent(for job: JSONValue, reason: String, message: String) {
        EventRecorder.record(
            registry, involving: job, resource: ResourceCatalog.jobs, type: "Warning", reason: reason, message: message,
            component: "job-controller")
    }
}
