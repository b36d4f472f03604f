import Foundation
import TygerKit

/// Turns the cluster's objects into a ``Run``: the status is decided by the Job and its
/// `main` containers, worker progress by the worker pods' readiness.
enum RunStatusDerivation {
    static func run(from objects: RunObjects, backend: String) -> Run {
        let record = objects.record
        if let final = record.final { return final }
        var run = Run(
            id: record.id, spec: record.spec, createdAt: record.createdAt, backend: backend)
        if let worker = record.spec.worker {
            let ready = objects.workerPods.values.count(where: isReady)
            run.workers = WorkerProgress(ready: min(ready, worker.replicas), total: worker.replicas)
        }
        let mains = objects.jobPods.values.compactMap { container(RunRenderer.jobContainerName, of: $0) }
        run.startedAt =
            mains.compactMap { KubernetesTime.date(from: $0.state?.running?.startedAt ?? $0.state?.terminated?.startedAt) }
            .min() ?? objects.observedStartedAt

        if record.cancelRequested {
            let stillRunning = objects.job != nil && objects.jobPods.values.contains { !isFinished($0) }
            if stillRunning { run.beginCanceling(.canceledByUser) } else { run.end(.canceledByUser, at: nil) }
            return run
        }
        guard let job = objects.job else {
            run.end(.vanished("The run's Job was deleted before its result was recorded"), at: nil)
            return run
        }
        if isTrue(job.status?.condition("Complete")) {
            run.end(.jobSucceeded, at: KubernetesTime.date(from: job.status?.completionTime))
            return run
        }
        if let failed = job.status?.condition("Failed"), failed.status == "True" {
            let finished = KubernetesTime.date(from: failed.lastTransitionTime)
            if failed.reason == "DeadlineExceeded" {
                run.end(.timedOut(whilePending: run.startedAt == nil), at: finished)
            } else {
                run.end(failure(mains) ?? .jobFailed(failed.message ?? failed.reason ?? "The job failed"), at: finished)
            }
            return run
        }
        if let failure = failure(mains) {
            // The Job controller has not caught up yet; the exit code already decides the run.
            run.end(failure, at: nil)
            return run
        }
        run.status = run.startedAt != nil ? .running : .pending
        if run.status == .pending { run.statusReason = waitingReason(objects) }
        if run.status == .running { run.runningCount = mains.count { $0.state?.running != nil } }
        return run
    }

    private static func container(_ name: String, of pod: Pod) -> ContainerStatus? {
        pod.status?.containerStatuses?.first { $0.name == name }
    }

    private static func failure(_ mains: [ContainerStatus]) -> RunEnding? {
        guard let terminated = mains.compactMap(\.state?.terminated).first(where: { $0.exitCode != 0 }) else {
            return nil
        }
        return .jobExited(code: Int(terminated.exitCode))
    }

    /// Why a pending run is not progressing, when Kubernetes says so (an image that cannot be
    /// pulled, a configuration error): the run would otherwise wait silently for its timeout.
    private static func waitingReason(_ objects: RunObjects) -> String? {
        let pods = objects.jobPods.values.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
            + objects.workerPods.values.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
        let stuck = ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CrashLoopBackOff"]
        for pod in pods {
            let statuses = (pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? [])
            for status in statuses {
                if let waiting = status.state?.waiting, let reason = waiting.reason, stuck.contains(reason) {
                    let message = waiting.message.map { ": \($0)" } ?? ""
                    return "\(pod.metadata.name ?? "pod") \(status.name): \(reason)\(message)"
                }
            }
        }
        return nil
    }

    static func isReady(_ pod: Pod) -> Bool {
        pod.metadata.deletionTimestamp == nil && (pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false)
    }

    private static func isFinished(_ pod: Pod) -> Bool {
        pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed"
    }

    private static func isTrue(_ condition: Job.Condition?) -> Bool {
        condition?.status == "True"
    }
}
