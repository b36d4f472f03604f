import Foundation
import TygerKit

/// What the cluster holds about one run at a moment: its record and the objects executing it.
struct RunObjects: Sendable {
    var record: RunRecord
    /// `nil` once the Job is gone (deleted on cancel, or by its TTL after it finished).
    var job: Job?
    var jobPods: [String: Pod] = [:]
    var workerPods: [String: Pod] = [:]
    /// When a follower saw `main` start. Kubernetes deletes the pods of a Job that runs past
    /// its deadline, so afterwards only this tells a running timeout from a pending one.
    var observedStartedAt: Date?

    mutating func apply(_ event: WatchEvent<Pod>, roleLabel: String) {
        guard let pod = event.object, let name = pod.metadata.name else { return }
        let isWorker = pod.metadata.labels?[roleLabel] == RunRole.worker.rawValue
        switch event.type {
        case .deleted:
            if isWorker { workerPods[name] = nil } else { jobPods[name] = nil }
        case .added, .modified:
            if isWorker { workerPods[name] = pod } else { jobPods[name] = pod }
        case .bookmark, .error:
            break
        }
    }

    mutating func replacePods(_ pods: [Pod], roleLabel: String) {
        jobPods = [:]
        workerPods = [:]
        for pod in pods {
            apply(WatchEvent(type: .added, object: pod, resourceVersion: nil), roleLabel: roleLabel)
        }
    }
}
