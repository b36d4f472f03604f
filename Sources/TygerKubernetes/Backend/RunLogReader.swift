import Foundation
import Logging
import Synchronization
import TygerKit

/// Merges the logs of a run's pods into one stream of ``RunLogLine``s, each under its source:
/// `[job]` (or `[job-1]`) from the Job's `main` containers, `[worker-i]` from the workers.
struct RunLogReader: Sendable {
    let client: KubernetesClient
    let options: KubernetesRenderOptions
    let backend: KubernetesBackend

    private static let completionIndexLabel = "batch.kubernetes.io/job-completion-index"
    private static let podIndexLabel = "apps.kubernetes.io/pod-index"

    func lines(of id: RunID, _ logOptions: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    if logOptions.follow {
                        try await followLogs(id, logOptions, continuation)
                    } else {
                        for line in try await collect(id, logOptions) { continuation.yield(line) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every line written so far that `logOptions` selects, ordered by the time the kubelet
    /// recorded it. `since` goes to the API to the second and is applied here exactly;
    /// `tail` goes to the API, per container.
    private func collect(_ id: RunID, _ logOptions: RunLogOptions) async throws -> [RunLogLine] {
        let replicas = try await backend.run(id: id).spec.job.replicas
        var stamped: [(time: LogTimestamp?, line: RunLogLine)] = []
        for pod in try await backend.pods(of: id) {
            guard let name = pod.metadata.name, let (container, source) = source(of: pod, jobReplicas: replicas),
                hasStarted(container, in: pod)
            else { continue }
            try await Self.ignoringVanishedPods {
                for try await text in client.logs(
                    pod: name, namespace: backend.namespace, container: container, timestamps: true,
                    tailLines: logOptions.tail, sinceTime: logOptions.since)
                {
                    let (time, body) = LogTimestamp.split(text)
                    guard Self.isAfter(time, logOptions.since) else { continue }
                    stamped.append((time, RunLogLine(source: source, text: body, timestamp: time?.date ?? Date())))
                }
            }
        }
        // The sort is stable, so one pod's lines keep their order.
        return stamped.enumerated().sorted { first, second in
            let (a, b) = (first.element.time, second.element.time)
            if a == b { return first.offset < second.offset }
            guard let a else { return true }
            guard let b else { return false }
            return a < b
        }.map(\.element.line)
    }

    /// Follows every pod's log from the moment its container starts, until the run is terminal
    /// and every followed log has ended. Pods are seen through a watch, so none is missed.
    private func followLogs(
        _ id: RunID, _ logOptions: RunLogOptions, _ continuation: AsyncThrowingStream<RunLogLine, any Error>.Continuation
    ) async throws {
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
        let runEnded = RunEndedFlag()
        let ender = Task { [backend] in
            // New pods stop mattering once the run is over; their logs then drain by themselves.
            _ = try? await backend.waitUntilTerminal(id)
            runEnded.set()
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
                    try await followContainer(pod: name, container: container, logOptions, runEnded: runEnded) {
                        time, text in
                        continuation.yield(RunLogLine(source: source, text: text, timestamp: time?.date ?? Date()))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Follows one container's log until the container has ended for good (its pod is gone,
    /// or it terminated and will not restart). A stream that ends while the container still
    /// runs (a dropped connection, an API server restart, a worker's restart) is asked for
    /// again from where it stopped, so no line is missed or repeated.
    private func followContainer(
        pod: String, container: String, _ logOptions: RunLogOptions, runEnded: RunEndedFlag,
        emit: (LogTimestamp?, String) -> Void
    ) async throws {
        var cursor = LogCursor()
        var isFirst = true
        var pause: Duration = .milliseconds(100)
        while true {
            let from = cursor.resume() ?? logOptions.since
            var received = false
            try await Self.ignoringVanishedPods {
                for try await text in client.logs(
                    pod: pod, namespace: backend.namespace, container: container, follow: true, timestamps: true,
                    tailLines: isFirst ? logOptions.tail : nil, sinceTime: from)
                {
                    let (time, body) = LogTimestamp.split(text)
                    guard Self.isAfter(time, logOptions.since), cursor.admit(time) else { continue }
                    received = true
                    emit(time, body)
                }
            }
            isFirst = false
            guard !runEnded.value, try await isStillRunning(pod: pod, container: container) else { break }
            backend.configuration.logger.debug(
                "log stream ended while its container runs; resuming",
                metadata: ["pod": "\(pod)", "container": "\(container)", "after": "\(cursor.last?.date.description ?? "start")"])
            // A stream that keeps ending at once must not turn into a busy loop.
            pause = received ? .milliseconds(100) : min(pause * 2, .seconds(5))
            try await Task.sleep(for: pause)
        }
        // The last stream may have been cut just before the container ended: read what it missed.
        let from = cursor.resume() ?? logOptions.since
        try await Self.ignoringVanishedPods {
            for try await text in client.logs(
                pod: pod, namespace: backend.namespace, container: container, timestamps: true,
                tailLines: cursor.last == nil ? logOptions.tail : nil, sinceTime: from)
            {
                let (time, body) = LogTimestamp.split(text)
                guard Self.isAfter(time, logOptions.since), cursor.admit(time) else { continue }
                emit(time, body)
            }
        }
    }

    /// Whether the container runs (or is waiting to run again); `false` once it terminated
    /// with no restart to come, or its pod is gone.
    private func isStillRunning(pod: String, container: String) async throws -> Bool {
        let current: Pod
        do {
            current = try await client.get(.pods, name: pod, namespace: backend.namespace, as: Pod.self)
        } catch where KubernetesAPIError.from(error)?.isNotFound == true {
            return false
        }
        guard current.metadata.deletionTimestamp == nil, current.status?.phase != "Succeeded",
            current.status?.phase != "Failed",
            let status = current.status?.containerStatuses?.first(where: { $0.name == container })
        else { return false }
        return status.state?.terminated == nil || current.spec?.restartPolicy == "Always"
    }

    private static func isAfter(_ time: LogTimestamp?, _ since: Date?) -> Bool {
        guard let since, let time else { return true }
        return time > LogTimestamp(since)
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
}

/// Set once the followed run is terminal: a log stream that ends afterwards is not resumed.
private final class RunEndedFlag: Sendable {
    private let state = Mutex(false)
    var value: Bool { state.withLock { $0 } }
    func set() { state.withLock { $0 = true } }
}
