import Synchronization

/// A one-way flag that async code can wait on: SIGTERM for a simulated process, or deletion
/// for a simulated pod. Waits also end when the waiting task is cancelled.
final class TerminationSignal: Sendable {
    private struct State: Sendable {
        var raised = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var abandoned: Set<Int> = []
        var nextID = 0
    }

    private let state = Mutex(State())

    var isRaised: Bool { state.withLock { $0.raised } }

    /// Raises the flag; returns `false` if it was already raised.
    @discardableResult
    func raise() -> Bool {
        let (first, waiters) = state.withLock { state in
            let first = !state.raised
            state.raised = true
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return (first, waiters)
        }
        for waiter in waiters { waiter.resume() }
        return first
    }

    func wait() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.raised || state.abandoned.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.abandoned.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }

    /// Sleeps for `duration`; returns `true` when the flag (or cancellation) ended it early.
    @discardableResult
    func sleep(for duration: Duration) async -> Bool {
        if isRaised { return true }
        guard duration > .zero else { return false }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await Task.sleep(for: duration)
                return Task.isCancelled
            }
            group.addTask {
                await self.wait()
                return true
            }
            let early = await group.next() ?? true
            group.cancelAll()
            return early
        }
    }
}
