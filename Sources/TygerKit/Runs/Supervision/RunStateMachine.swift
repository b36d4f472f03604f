package import Foundation

/// How a job or worker replica ended.
public enum ReplicaExit: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Exited with this code.
    case exited(code: Int)
    /// Killed by this signal.
    case signaled(Int)

    /// Whether the replica exited with code 0.
    public var isSuccess: Bool { self == .exited(code: 0) }

    public var description: String {
        switch self {
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal): "was killed by signal \(signal)"
        }
    }
}

/// Decides every status transition of one run, for backends that supervise replicas
/// themselves (the local and container backends): a pure value that takes what happened
/// and returns what to do, with no I/O, so that each rule is written once and tested
/// without processes.
///
/// The backend feeds it ``Event``s (a worker started, became ready, exited; the job exited;
/// a cancel, the timeout; everything stopped) and carries out the ``Action``s it returns
/// (start workers, schedule a restart, start the job, stop everything, persist and publish
/// the record). The run is terminal only after ``Event/stopped``: a watcher that sees a
/// terminal status can rely on nothing of the run running any more.
package struct RunStateMachine: Sendable {
    /// Something the backend observed.
    package enum Event: Sendable, Hashable {
        /// Worker `index` in its `generation` is running (its endpoints are not known to answer yet).
        case workerStarted(Int, generation: Int)
        /// Worker `index` could not be started.
        case workerFailedToStart(Int, generation: Int, message: String)
        /// Every endpoint of worker `index` in its `generation` accepts connections.
        case workerReady(Int, generation: Int)
        /// Worker `index` in its `generation` ended.
        case workerExited(Int, generation: Int, ReplicaExit)
        /// The delay before restarting worker `index` in its `generation` has passed.
        case restartDue(Int, generation: Int)
        /// Why worker `index` in its `generation` is not ready yet, in words a person can act on.
        case workerDiagnosis(Int, generation: Int, String)
        /// Every job replica is running.
        case jobStarted
        /// The job could not be started.
        case jobFailedToStart(message: String)
        /// Job replica `replica` ended.
        case jobExited(replica: Int, ReplicaExit)
        /// The run is to end this way: a user's cancel, a shut-down backend, a dead host.
        case cancel(RunEnding)
        /// The run's deadline passed.
        case timedOut
        /// The run's bookkeeping failed in a way that ends it (its folder vanished, say).
        case failed(RunEnding)
        /// Every process or container of the run is gone.
        case stopped
    }

    /// Something the backend must do.
    package enum Action: Sendable, Hashable {
        /// Start these workers, each in its current generation (``generation(ofWorker:)``).
        case startWorkers([Int])
        /// Send ``Event/restartDue(_:generation:)`` for this worker after the delay.
        case scheduleRestart(Int, generation: Int, after: Duration)
        /// Start every job replica.
        case startJob
        /// Stop every process or container of the run, then send ``Event/stopped``.
        case stopEverything
        /// The record changed: store it and tell watchers.
        case publish
        /// Something a person following the run should be told, about one replica or the run.
        case report(replica: String?, String)
        /// The run is terminal and nothing of it runs: release what it holds.
        case finish
    }

    /// Where one worker replica is.
    package struct Worker: Sendable, Hashable {
        package enum State: Sendable, Hashable {
            case starting, waitingForEndpoints, ready, restarting, stopped
        }

        package var state: State = .starting
        /// Changes on every start, so an event about an earlier process is ignored.
        package var generation = 1
        /// Failures since the replica was last ready, for the restart backoff.
        package var consecutiveFailures = 0
        /// Every time the replica ended or failed to start.
        package var failures = 0
        package var lastExit: ReplicaExit?
        package var since: Date
    }

    private enum Phase: Sendable, Hashable {
        case waitingForWorkers, running, stopping(RunEnding), ended
    }

    /// The run as watchers see it.
    package private(set) var run: Run
    package private(set) var workers: [Worker]
    /// How many workers are ready, kept with ``workers`` so that 1,000 workers becoming ready
    /// one by one do not cost a million comparisons.
    private var readyWorkers = 0
    private var phase: Phase
    private var jobExits: [Int: ReplicaExit] = [:]
    private let restartDelay: RestartDelay

    /// The backoff between restarts of a worker: doubling from `initial` up to `maximum`.
    package struct RestartDelay: Sendable, Hashable {
        package var initial: Duration
        package var maximum: Duration

        package init(initial: Duration, maximum: Duration) {
            self.initial = initial
            self.maximum = maximum
        }

        /// The delay before the restart that follows `failures` consecutive failures.
        package func after(failures: Int) -> Duration {
            let doubled = initial * (1 << min(max(failures - 1, 0), 20))
            return min(doubled, maximum)
        }
    }

    /// A machine for `run`, which has just been created.
    package init(run: Run, restartDelay: RestartDelay, now: Date) {
        self.run = run
        self.restartDelay = restartDelay
        let replicas = run.spec.worker?.replicas ?? 0
        workers = Array(repeating: Worker(since: now), count: replicas)
        phase = .waitingForWorkers
        if replicas > 0 { self.run.workers = WorkerProgress(ready: 0, total: replicas) }
    }

    /// Whether the run is terminal and nothing of it runs.
    package var isFinished: Bool { phase == .ended }

    /// Whether the run is being stopped, or has been.
    package var isStopping: Bool {
        switch phase {
        case .stopping, .ended: true
        case .waitingForWorkers, .running: false
        }
    }

    /// The generation worker `index` is in.
    package func generation(ofWorker index: Int) -> Int { workers[index].generation }

    /// The first actions: start the workers, or the job when there are none.
    package mutating func start() -> [Action] {
        guard !workers.isEmpty else { return [.startJob] }
        run.statusReason = waitingReason
        return [.publish, .report(replica: nil, "starting \(workers.count) worker replica(s)"), .startWorkers(Array(workers.indices))]
    }

    /// Applies what happened and returns what to do about it.
    package mutating func handle(_ event: Event, now: Date) -> [Action] {
        switch event {
        case .workerStarted(let index, let generation):
            guard isCurrent(index, generation), !isStopping else { return [] }
            setState(index, .waitingForEndpoints)
            workers[index].since = now
            return []

        case .workerFailedToStart(let index, let generation, let message):
            guard isCurrent(index, generation) else { return [] }
            workers[index].failures += 1
            setState(index, .stopped)
            return stop(.workerCouldNotStart(index: index, message))

        case .workerReady(let index, let generation):
            guard isCurrent(index, generation), !isStopping, workers[index].state != .ready else { return [] }
            setState(index, .ready)
            workers[index].consecutiveFailures = 0
            workers[index].since = now
            var actions = updateProgress()
            if phase == .waitingForWorkers, readyWorkers == workers.count {
                actions.append(.report(replica: nil, "all \(workers.count) worker replica(s) are ready; starting the job"))
                actions.append(.startJob)
            }
            return actions

        case .workerExited(let index, let generation, let exit):
            guard isCurrent(index, generation), !isStopping else { return [] }
            workers[index].lastExit = exit
            workers[index].failures += 1
            workers[index].consecutiveFailures += 1
            setState(index, .restarting)
            workers[index].since = now
            let delay = restartDelay.after(failures: workers[index].consecutiveFailures)
            return updateProgress() + [
                .report(replica: "worker-\(index)", "worker-\(index) \(exit); restarting in \(milliseconds(delay)) ms"),
                .scheduleRestart(index, generation: generation, after: delay),
            ]

        case .restartDue(let index, let generation):
            guard isCurrent(index, generation), !isStopping, workers[index].state == .restarting else { return [] }
            workers[index].generation += 1
            setState(index, .starting)
            workers[index].since = now
            return [.startWorkers([index])]

        case .workerDiagnosis(let index, let generation, let message):
            guard isCurrent(index, generation), phase == .waitingForWorkers, workers[index].state != .ready,
                run.statusReason != message
            else { return [] }
            run.statusReason = message
            return [.publish, .report(replica: "worker-\(index)", message)]

        case .jobStarted:
            guard phase == .waitingForWorkers else { return [] }
            phase = .running
            run.status = .running
            run.statusReason = nil
            run.runningCount = run.spec.job.replicas
            run.startedAt = now
            return [.publish]

        case .jobFailedToStart(let message):
            return stop(.jobCouldNotStart(message))

        case .jobExited(let replica, let exit):
            guard phase == .running else { return [] }
            jobExits[replica] = exit
            run.runningCount = run.spec.job.replicas - jobExits.count
            switch exit {
            case .exited(code: 0):
                return jobExits.count == run.spec.job.replicas ? stop(.jobSucceeded) : []
            case .exited(let code):
                return stop(.jobExited(code: code))
            case .signaled(let signal):
                return stop(.jobKilled(signal: signal))
            }

        case .cancel(let ending), .failed(let ending):
            return stop(ending)

        case .timedOut:
            switch phase {
            case .waitingForWorkers: return stop(.timedOut(whilePending: true))
            case .running: return stop(.timedOut(whilePending: false))
            case .stopping, .ended: return []
            }

        case .stopped:
            guard case .stopping(let ending) = phase else { return [] }
            phase = .ended
            for index in workers.indices { setState(index, .stopped) }
            run.end(ending, at: now)
            return [.publish, .finish]
        }
    }

    /// Begins stopping the run on its way to `ending`: a cancellation shows `Canceling`
    /// at once; every other ending is published once everything has stopped.
    private mutating func stop(_ ending: RunEnding) -> [Action] {
        switch phase {
        case .stopping, .ended: return []
        case .waitingForWorkers, .running: break
        }
        phase = .stopping(ending)
        var actions: [Action] = []
        if ending.isCancellation {
            run.beginCanceling(ending)
            actions.append(.publish)
        }
        if let reason = ending.reason { actions.append(.report(replica: nil, reason)) }
        actions.append(.stopEverything)
        return actions
    }

    /// Changes a worker's state, keeping the count of ready workers.
    private mutating func setState(_ index: Int, _ state: Worker.State) {
        if workers[index].state == .ready { readyWorkers -= 1 }
        if state == .ready { readyWorkers += 1 }
        workers[index].state = state
    }

    private func isCurrent(_ index: Int, _ generation: Int) -> Bool {
        workers.indices.contains(index) && workers[index].generation == generation
    }

    /// Worker progress is shown while the job waits for the workers.
    private mutating func updateProgress() -> [Action] {
        guard phase == .waitingForWorkers, let progress = run.workers else { return [] }
        guard readyWorkers != progress.ready else { return [] }
        run.workers = WorkerProgress(ready: readyWorkers, total: progress.total)
        run.statusReason = waitingReason
        return [.publish]
    }

    private var waitingReason: String {
        "waiting for \(workers.count - readyWorkers) of \(workers.count) worker replica(s) to accept connections"
    }

    private func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
