package import Foundation
package import Logging
import Synchronization

/// Carries out one run whose replicas this process supervises (the local and container
/// backends). The decisions are ``RunStateMachine``'s, the replicas the `Driver`'s; this
/// type keeps the record, the log and the events in the run's folder and runs the loop, in
/// one task group whose children are the run's work: the timeout, the watch for cancel
/// requests from other processes, restarts waiting for their delay, the stopping of
/// everything, and whatever the driver adds (exits, output, probes). The group, and so
/// ``execute()``, ends once the run is terminal and nothing of it runs.
package final class SupervisedRun<Driver: ReplicaDriver>: RunSupervision {
    package let id: RunID
    package let logger: Logger
    private let folder: RunFolder
    private let runLog: RunLog
    private let eventLog: RunEventLog
    private let driver: Driver
    private let loop: AsyncStream<LoopEvent>
    private let sink: AsyncStream<LoopEvent>.Continuation
    private let state: Mutex<State>
    /// Events produced while performing actions, handled before the loop reads the next one.
    private let pendingEvents = Mutex<[RunStateMachine.Event]>([])

    private enum LoopEvent: Sendable {
        case machine(RunStateMachine.Event)
        /// A cancel from this process; `acknowledged` is resumed once the machine has seen it.
        case cancel(RunEnding, acknowledged: CheckedContinuation<Void, Never>?)
    }

    private struct State {
        var machine: RunStateMachine
        var subscribers: [UUID: AsyncThrowingStream<Run, any Error>.Continuation] = [:]
        /// What the record on disk says, and when it was written.
        var stored: (status: RunStatus, at: ContinuousClock.Instant)?
    }

    /// Creates the run's bookkeeping (its first record, its host, its log) around `driver`;
    /// nothing starts until ``execute()``.
    package init(
        run: Run, folder: RunFolder, driver: Driver, restartDelay: RunStateMachine.RestartDelay, logger: Logger
    ) throws(TygerError) {
        id = run.id
        self.folder = folder
        self.driver = driver
        self.logger = logger
        runLog = try RunLog(folder: folder, name: RunFolder.logName)
        eventLog = try RunEventLog(folder: folder, name: RunFolder.eventsName)
        try folder.recordHost()
        try folder.write(run)
        let machine = RunStateMachine(run: run, restartDelay: restartDelay, now: run.createdAt)
        state = Mutex(State(machine: machine, stored: (run.status, .now)))
        (loop, sink) = AsyncStream.makeStream(of: LoopEvent.self)
    }

    // MARK: - Observing

    package func snapshot() -> Run { state.withLock { $0.machine.run } }

    package func generation(ofWorker index: Int) -> Int { state.withLock { $0.machine.generation(ofWorker: index) } }

    /// The run now and after every change, ending after the terminal record.
    package func updates() -> AsyncThrowingStream<Run, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Run, any Error>.makeStream()
        let key = UUID()
        state.withLock { state in
            continuation.yield(state.machine.run)
            if state.machine.isFinished {
                continuation.finish()
            } else {
                state.subscribers[key] = continuation
            }
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    /// The log lines `options` select; a followed log ends once the run is terminal.
    package func logs(_ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        let (existing, later) = runLog.entries(follow: options.follow)
        return LogSelection(options).stream(existing: existing, later: later)
    }

    /// The run's events so far and, with `follow`, every new one until the run is terminal.
    package func events(follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        let (existing, later) = eventLog.entries(follow: follow)
        return .concatenating(existing, then: later)
    }

    /// Asks for the run to end this way; returns once the run has taken the request in (it
    /// then shows `Canceling`, or it had already ended), so the job can no longer start.
    package func cancel(_ ending: RunEnding) async {
        await withCheckedContinuation { acknowledged in
            if case .terminated = sink.yield(.cancel(ending, acknowledged: acknowledged)) {
                acknowledged.resume()
            }
        }
    }

    // MARK: - What the driver reports

    package func enqueue(_ event: RunStateMachine.Event) {
        pendingEvents.withLock { $0.append(event) }
    }

    package func send(_ event: RunStateMachine.Event) {
        sink.yield(.machine(event))
    }

    package func diagnose(worker index: Int, generation: Int, _ message: String) {
        sink.yield(.machine(.workerDiagnosis(index, generation: generation, message)))
    }

    package func log(_ line: RunLogLine) {
        runLog.append(line)
    }

    package func report(_ event: RunEvent) {
        eventLog.append(event)
    }

    package func writeDiscoveryFiles(_ files: [DiscoveryVariables.ListFile]) throws(TygerError) -> [String: String] {
        try folder.writeDiscoveryFiles(files)
    }

    // MARK: - Executing

    /// Executes the run to its end: returns once it is terminal and nothing of it runs.
    package func execute() async {
        var iterator = loop.makeAsyncIterator()
        await withTaskGroup(of: Void.self) { group in
            let deadline = ContinuousClock.now + .seconds(max(0, snapshot().deadline.timeIntervalSinceNow))
            group.addTask { [sink] in
                guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                sink.yield(.machine(.timedOut))
            }
            group.addTask { await self.watchFolder() }
            let first = state.withLock { $0.machine.start() }
            perform(first, in: &group)
            while let event = await iterator.next() {
                handle(event, in: &group)
                if state.withLock({ $0.machine.isFinished }) { break }
            }
            group.cancelAll()
        }
        await finish()
        // Events that arrived after the end: a cancel waits for its acknowledgement.
        while let event = await iterator.next() {
            if case .cancel(_, let acknowledged) = event { acknowledged?.resume() }
        }
    }

    private func handle(_ event: LoopEvent, in group: inout TaskGroup<Void>) {
        let now = Date()
        switch event {
        case .machine(let event):
            perform(state.withLock { $0.machine.handle(event, now: now) }, in: &group)
        case .cancel(let ending, let acknowledged):
            let actions = state.withLock { $0.machine.handle(.cancel(ending), now: now) }
            defer { acknowledged?.resume() }
            perform(actions, in: &group)
        }
    }

    private func perform(_ actions: [RunStateMachine.Action], in group: inout TaskGroup<Void>) {
        performOnly(actions, in: &group)
        while let next = pendingEvents.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            let more = state.withLock { $0.machine.handle(next, now: Date()) }
            performOnly(more, in: &group)
        }
    }

    private func performOnly(_ actions: [RunStateMachine.Action], in group: inout TaskGroup<Void>) {
        for action in actions {
            switch action {
            case .startWorkers(let indices): driver.startWorkers(indices, self, in: &group)
            case .scheduleRestart(let index, let generation, let delay):
                group.addTask { [sink] in
                    guard (try? await Task.sleep(for: delay)) != nil else { return }
                    sink.yield(.machine(.restartDue(index, generation: generation)))
                }
            case .startJob: driver.startJob(self, in: &group)
            case .stopEverything:
                group.addTask { [driver, sink] in
                    await driver.stopEverything()
                    sink.yield(.machine(.stopped))
                }
            case .publish: publish()
            case .report(let replica, let text):
                eventLog.append(RunEvent(replica: replica, message: text))
                logger.info("\(text)", metadata: ["run": "\(id)", "replica": "\(replica ?? "")"])
            case .finish: break
            }
        }
    }

    // MARK: - Bookkeeping

    /// Polls the run's folder: a cancel asked by another process, or the folder deleted.
    private func watchFolder() async {
        while (try? await Task.sleep(for: RecordFollower.interval)) != nil {
            if folder.isCancelRequested {
                sink.yield(.cancel(.canceledByUser, acknowledged: nil))
            }
            if !folder.isInPlace {
                sink.yield(
                    .machine(.failed(.vanished("The run's folder \(folder.url.path) was removed while the run was executing"))))
                return
            }
        }
    }

    /// Tells watchers, and stores the record: at once when the status changed, otherwise
    /// (progress while workers start) at most every ``progressWriteInterval``, so that 1,000
    /// workers becoming ready do not cost 1,000 writes. Readers in other processes see
    /// progress that much late at most.
    private func publish() {
        let now = ContinuousClock.now
        let (run, subscribers, store) = state.withLock { state in
            let run = state.machine.run
            let store =
                state.stored.map { run.status != $0.status || now - $0.at >= Self.progressWriteInterval } ?? true
            if store { state.stored = (run.status, now) }
            return (run, Array(state.subscribers.values), store)
        }
        if store {
            do {
                try folder.write(run)
            } catch {
                logger.error("cannot record the run's state", metadata: ["run": "\(id)", "error": "\(error)"])
            }
        }
        for subscriber in subscribers { subscriber.yield(run) }
    }

    static var progressWriteInterval: Duration { .milliseconds(100) }

    /// The run is terminal and nothing of it runs: release the driver's reservations, close
    /// the log and end every follower.
    private func finish() async {
        await driver.release()
        runLog.close()
        eventLog.close()
        sink.finish()
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
