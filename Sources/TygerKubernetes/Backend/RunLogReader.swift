import Foundation
import TygerKit

/// Merges the logs of a run's pods into one stream of ``RunLogLine``s, each under its source:
/// `[job]` (or `[job-1]`) from the Job's `main` containers, `[worker-i]` from the workers.
struct RunLogReader: Sendable {
    let client: KubernetesClient
    let options: KubernetesRenderOptions
    let backend: KubernetesBackend

    private static let completionIndexLabel = "batch.kubernetes.io/job-completion-index"
    private static let podIndexLabel = "apps.kubernetes.io/pod-index"

    func lines(of id: RunID, follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    if follow {
                        try await followLogs(id, continuation)
                    } else {
                        for line in try await collect(id) { continuation.yield(line) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every line written so far, ordered by the time the kubelet recorded it.
    private func collect(_ id: RunID) async throws -> [RunLogLine] {
        let replicas = try await backend.run(id: id).spec.job.replicas
        var stamped: [(time: String, line: RunLogLine)] = []
        for pod in try await backend.pods(of: id) {
            guard let name = pod.metadata.name, let (container, source) = source(of: pod, jobReplicas: replicas),
                hasStarted(container, in: pod)
            else { continue }
            try await Self.ignoringVanishedPods {
                for try await text in client.logs(
                    pod: name, namespace: backend.namespace, container: container, timestamps: true)
                {
                    let (time, body) = Self.splitTimestamp(text)
                    stamped.append(
                        (time, RunLogLine(source: source, text: body, timestamp: KubernetesTime.date(from: time) ?? Date())))
                }
            }
        }
        // RFC 3339 timestamps in UTC sort as text; the sort is stable, so one pod's lines keep their order.
        return stamped.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element.line)
    }

    /// Follows every pod's log from the moment its container starts, until the run is terminal
    /// and every followed log has ended. Pods are seen through a watch, so none is missed.
    private func followLogs(_ id: RunID, _ continuation: AsyncThrowingStream<RunLogLine, any Error>.Continuation)
        async throws
    {
        let replicas = try await backend.run(id: id).spec.job.replicas
        let (pods, podStream) = AsyncStream<Pod>.makeStream()
        let follower = ResourceFollower<Pod>(
            client: client, resource: .pods, namespace: backend.namespace, labelSelector: options.labelSelector(runID: id))
        let watcher = Task {
            try? await follower.run(from: nil) { change in
                switch change {
                case .snapshot(let current): current.forEach { podStream.yield($0) }
                case .event(let event) where event.type != .deleted: if let pod = event.object { podStream.yield(pod) }
                case .event: break
                }
                return !Task.isCancelled
            }
        }
        let ender = Task { [backend] in
            // New pods stop mattering once the run is over; their logs then drain by themselves.
            _ = try? await backend.waitUntilTerminal(id)
            watcher.cancel()
            podStream.finish()
        }
        defer {
            watcher.cancel()
            ender.cancel()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var followed: Set<String> = []
            for await pod in pods {
                guard let name = pod.metadata.name, let (container, source) = source(of: pod, jobReplicas: replicas),
                    hasStarted(container, in: pod), followed.insert(name).inserted
                else { continue }
                group.addTask {
                    try await Self.ignoringVanishedPods {
                        for try await text in client.logs(
                            pod: name, namespace: backend.namespace, container: container, follow: true)
                        {
                            continuation.yield(RunLogLine(source: source, text: text))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// A pod removed while its log is read (a worker of a finished run) just ends that log.
    private static func ignoringVanishedPods(_ read: () async throws -> Void) async throws {
        do {
            try await read()
        } catch where KubernetesAPIError.from(error).map({ $0.isNotFound || $0.statusCode == 400 }) == true {
            return
        }
    }

    private func source(of pod: Pod, jobReplicas: Int) -> (container: String, source: RunLogSource)? {
        let labels = pod.metadata.labels ?? [:]
        switch labels[options.roleLabel] {
        case RunRole.worker.rawValue:
            guard let index = labels[Self.podIndexLabel].flatMap(Int.init) ?? Self.ordinal(pod.metadata.name) else {
                return nil
            }
            return (RunRenderer.workerContainerName, .worker(index))
        case RunRole.job.rawValue:
            let index = labels[Self.completionIndexLabel].flatMap(Int.init) ?? 0
            return (RunRenderer.jobContainerName, .job(jobReplicas > 1 ? index : nil))
        default:
            return nil
        }
    }

    /// The log of a container that has not started yet is an error, not an empty log.
    private func hasStarted(_ container: String, in pod: Pod) -> Bool {
        guard let status = pod.status?.containerStatuses?.first(where: { $0.name == container }) else { return false }
        return status.state?.running != nil || status.state?.terminated != nil || (status.restartCount ?? 0) > 0
    }

    private static func ordinal(_ name: String?) -> Int? {
        name?.split(separator: "-").last.flatMap { Int($0) }
    }

    private static func splitTimestamp(_ text: String) -> (String, String) {
        guard let space = text.firstIndex(of: " ") else { return ("", text) }
        return (String(text[..<space]), String(text[text.index(after: space)...]))
    }
}
