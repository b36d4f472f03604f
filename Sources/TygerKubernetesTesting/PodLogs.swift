import Foundation
import Synchronization

/// The output of every simulated container: what `GET .../pods/<name>/log` serves.
///
/// Kept per container *instance*, so `previous=true` shows the run before the last restart, as
/// the kubelet keeps the previous container's log file.
final class PodLogs: Sendable {
    struct Line: Sendable {
        var time: Date
        var text: String
    }

    private struct Instance: Sendable {
        var lines: [Line] = []
        var finished = false
        var followers: [Int: AsyncStream<Line>.Continuation] = [:]
    }

    private struct State: Sendable {
        /// Pod uid → container name → instances, oldest first.
        var pods: [String: [String: [Instance]]] = [:]
        var nextFollower = 0
    }

    private let state = Mutex(State())
    private let onAppend: @Sendable () -> Void

    /// `onAppend` runs after each new line, outside the lock, so that waiters on "the log says X" wake up.
    init(onAppend: @escaping @Sendable () -> Void = {}) {
        self.onAppend = onAppend
    }

    /// Begins the log of a new container instance.
    func start(pod uid: String, container: String) {
        state.withLock { $0.pods[uid, default: [:]][container, default: []].append(Instance()) }
    }

    func append(pod uid: String, container: String, _ text: String) {
        let line = Line(time: Date(), text: text)
        state.withLock { state in
            guard var instances = state.pods[uid]?[container], !instances.isEmpty,
                !instances[instances.count - 1].finished
            else { return }
            instances[instances.count - 1].lines.append(line)
            for (_, follower) in instances[instances.count - 1].followers { follower.yield(line) }
            state.pods[uid]![container] = instances
        }
        onAppend()
    }

    /// Ends the current instance; followers of it see the end of their stream.
    func finish(pod uid: String, container: String) {
        let followers: [AsyncStream<Line>.Continuation] = state.withLock { state in
            guard var instances = state.pods[uid]?[container], !instances.isEmpty else { return [] }
            instances[instances.count - 1].finished = true
            let followers = Array(instances[instances.count - 1].followers.values)
            instances[instances.count - 1].followers = [:]
            state.pods[uid]![container] = instances
            return followers
        }
        for follower in followers { follower.finish() }
    }

    /// Whether the container has started at least once.
    func hasStarted(pod uid: String, container: String) -> Bool {
        state.withLock { !($0.pods[uid]?[container] ?? []).isEmpty }
    }

    /// The lines of the current (or previous) instance; `nil` when there is no such instance.
    func lines(pod uid: String, container: String, previous: Bool) -> [Line]? {
        state.withLock { state in
            guard let instances = state.pods[uid]?[container] else { return nil }
            let index = instances.count - (previous ? 2 : 1)
            guard index >= 0 else { return nil }
            return instances[index].lines
        }
    }

    /// The current instance's lines so far and then each new one, ending when it finishes.
    func follow(pod uid: String, container: String) -> (existing: [Line], rest: AsyncStream<Line>)? {
        let (stream, continuation) = AsyncStream<Line>.makeStream()
        let existing: [Line]? = state.withLock { state in
            guard var instances = state.pods[uid]?[container], !instances.isEmpty else { return nil }
            let last = instances.count - 1
            if !instances[last].finished {
                state.nextFollower += 1
                instances[last].followers[state.nextFollower] = continuation
                state.pods[uid]![container] = instances
            }
            return instances[last].lines
        }
        guard let existing else {
            continuation.finish()
            return nil
        }
        // A finished instance was never registered; finishing here cannot re-enter the lock.
        if state.withLock({ $0.pods[uid]?[container]?.last?.finished ?? true }) { continuation.finish() }
        return (existing, stream)
    }

    /// Ends every follow now while the containers go on, as a dropped connection or an idle
    /// timeout in a load balancer would; followers must ask again to see later lines.
    func dropFollowers() {
        let followers: [AsyncStream<Line>.Continuation] = state.withLock { state in
            var dropped: [AsyncStream<Line>.Continuation] = []
            for (uid, containers) in state.pods {
                for (container, var instances) in containers {
                    for index in instances.indices {
                        dropped += instances[index].followers.values
                        instances[index].followers = [:]
                    }
                    state.pods[uid]![container] = instances
                }
            }
            return dropped
        }
        for follower in followers { follower.finish() }
    }

    /// Forgets a deleted pod's logs and ends everyone following them.
    func remove(pod uid: String) {
        let followers: [AsyncStream<Line>.Continuation] = state.withLock { state in
            let containers = state.pods.removeValue(forKey: uid) ?? [:]
            return containers.values.flatMap { $0.flatMap { $0.followers.values } }
        }
        for follower in followers { follower.finish() }
    }
}
