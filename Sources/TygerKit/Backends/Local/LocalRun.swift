import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What every run of one local backend shares: its configuration and the collaborators the
/// backend owns (port reservations, probe pacing), so no run reaches for process-wide state.
struct LocalRunContext: Sendable {
    var configuration: LocalBackend.Configuration
    var ports: PortReservations
    var pacing: ProbePacing
    var isolation: ProcessIsolation

    /// What every process of a run starts from: the host's environment, or nothing.
    var baseEnvironment: [String: String] {
        configuration.inheritsEnvironment ? ProcessInfo.processInfo.environment : [:]
    }
}

/// Carries out one run on this machine. The decisions are ``RunStateMachine``'s; this type
/// does the I/O they call for, in one task group whose children are the run's work: one
/// task per process reading its output, one waiting for its exit, one probing each
/// starting worker's endpoints, the timeout, the watch for cancel requests from other
/// processes, restarts waiting for their delay, and the stopping of everything. The group,
/// and so ``execute()``, ends once the run is terminal and nothing of it runs.
final class LocalRun: Sendable {
    let id: RunID
    private let folder: RunFolder
    private let log: RunLog
    private let eventLog: RunEventLog
    private let context: LocalRunContext
    private let loop: AsyncStream<LoopEvent>
    private let sink: AsyncStream<LoopEvent>.Continuation
    private let state: Mutex<State>
    /// Events produced while performing actions, handled before the loop reads the next one.
    private let pendingEvents = Mutex<[RunStateMachine.Event]>([])

    private enum LoopEvent: Sendable {
        case machine(RunStateMachine.Event)
        /// A cancel from this process; `acknowledged` is resumed once the machine has seen it.
        case cancel(RunEnding, acknowledged: CheckedContinuation<Void, Never>?)
        /// A worker that has not become ready shows why, in words a person can act on.
        case diagnosis(worker: Int, generation: Int, String)
    }

    private struct State {
        var machine: RunStateMachine
        var workers: [WorkerSlot]
        /// Every process of the run that has not exited yet, by pid.
        var live: [Int32: LocalProcess] = [:]
        var subscribers: [UUID: AsyncThrowingStream<Run, any Error>.Continuation] = [:]
        var recordError: TygerError?
        /// What the record on disk says, and when it was written.
        var stored: (status: RunStatus, at: ContinuousClock.Instant)?
    }

    /// One worker replica: its ports and its current process.
    private struct WorkerSlot {
        var ports: [Int]
        var process: LocalProcess?
    }

    /// Creates the run's bookkeeping (its first record, its host, its log and its ports);
    /// nothing starts until ``execute()``.
    init(run: Run, folder: RunFolder, context: LocalRunContext) throws(TygerError) {
        id = run.id
        self.folder = folder
        self.context = context
        log = try RunLog(folder: folder, name: RunFolder.logName)
        eventLog = try RunEventLog(folder: folder, name: RunFolder.eventsName)
        let machine = RunStateMachine(
            run: run,
            restartDelay: .init(
                initial: context.configuration.initialRestartDelay, maximum: context.configuration.maximumRestartDelay),
            now: run.createdAt)
        var workers: [WorkerSlot] = []
        if let worker = run.spec.worker {
            let count = worker.codespec.endpoints.count
            let ports = try context.ports.reserve(worker.replicas * count)
            workers = (0..<worker.replicas).map { WorkerSlot(ports: Array(ports[($0 * count)..<(($0 + 1) * count)])) }
        }
        state = Mutex(State(machine: machine, workers: workers, stored: (run.status, .now)))
        (loop, sink) = AsyncStream.makeStream(of: LoopEvent.self)
        do {
            try folder.recordHost()
            try folder.write(run)
        } catch {
            release()
            throw error
        }
    }

    // MARK: - Observing

    /// The run as it stands.
    func snapshot() -> Run { state.withLock { $0.machine.run } }

    /// The run now and after every change, ending after the terminal record.
    func updates() -> AsyncThrowingStream<Run, any Error> {
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
    func logs(_ options: RunLogOptions) -> AsyncThrowingStream<RunLogLine, any Error> {
        let (existing, later) = log.entries(follow: options.follow)
        return LogSelection(options).stream(existing: existing, later: later)
    }

    /// The run's events so far and, with `follow`, every new one until the run is terminal.
    func events(follow: Bool) -> AsyncThrowingStream<RunEvent, any Error> {
        let (existing, later) = eventLog.entries(follow: follow)
        return .concatenating(existing, then: later)
    }

    /// Asks for the run to end this way; returns once the run has taken the request in (it
    /// then shows `Canceling`, or it had already ended), so the job can no longer start.
    func cancel(_ ending: RunEnding) async {
        await withCheckedContinuation { acknowledged in
            if case .terminated = sink.yield(.cancel(ending, acknowledged: acknowledged)) {
                acknowledged.resume()
            }
        }
    }

    // MARK: - Executing

    /// Executes the run to its end: returns once it is terminal and nothing of it runs.
    func execute() async {
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
        finish()
        // Events that arrived after the end: a cancel waits for its acknowledgement.
        while let event = await iterator.next() {
            if case .cancel(_, let acknowledged) = event { acknowledged?.resume() }
        }
    }

    private func handle(_ event: LoopEvent, in group: inout TaskGroup<Void>) {
        let now = Date()
        let actions: [RunStateMachine.Action]
        switch event {
        case .machine(let event):
            actions = state.withLock { $0.machine.handle(event, now: now) }
        case .cancel(let ending, let acknowledged):
            actions = state.withLock { $0.machine.handle(.cancel(ending), now: now) }
            defer { acknowledged?.resume() }
            perform(actions, in: &group)
            return
        case .diagnosis(let worker, let generation, let message):
            actions = state.withLock { $0.machine.handle(.workerDiagnosis(worker, generation: generation, message), now: now) }
        }
        perform(actions, in: &group)
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
            case .startWorkers(let indices): startWorkers(indices, in: &group)
            case .scheduleRestart(let index, let generation, let delay):
                group.addTask { [sink] in
                    guard (try? await Task.sleep(for: delay)) != nil else { return }
                    sink.yield(.machine(.restartDue(index, generation: generation)))
                }
            case .startJob: startJob(in: &group)
            case .stopEverything: group.addTask { await self.stopEverything() }
            case .publish: publish()
            case .report(let replica, let text):
                eventLog.append(RunEvent(replica: replica, message: text))
                context.configuration.logger.info("\(text)", metadata: ["run": "\(id)", "replica": "\(replica ?? "")"])
            case .finish: break
            }
        }
    }

    // MARK: - Workers

    /// Starts the given replicas together (see ``LocalProcess/launchAll(_:)``).
    private func startWorkers(_ indices: [Int], in group: inout TaskGroup<Void>) {
        guard let codespec = snapshot().spec.worker?.codespec else { return }
        var launches: [(index: Int, generation: Int, launch: ProcessLaunch)] = []
        for index in indices {
            let (generation, ports, stillPending) = state.withLock { state in
                (state.machine.generation(ofWorker: index), state.workers[index].ports, state.machine.run.status == .pending)
            }
            var assigned = ports
            if generation > 1, stillPending {
                // The job has not seen the addresses yet: fresh ports cure a port another program took.
                do {
                    let fresh = try context.ports.reserve(codespec.endpoints.count)
                    context.ports.release(ports)
                    assigned = fresh
                    state.withLock { $0.workers[index].ports = fresh }
                } catch {
                    enqueue(.workerFailedToStart(index, generation: generation, message: "\(error)"))
                    continue
                }
            }
            let injected =
                RunEnvironment.worker(
                    runID: id, index: index, ports: zip(codespec.endpoints, assigned).map { (endpoint: $0, port: $1) })
                + [(Self.hostnameVariable, RunEnvironment.workerHostname(runID: id, index: index))]
            do {
                launches.append((index, generation, try processLaunch(codespec, injected: injected)))
            } catch {
                enqueue(.workerFailedToStart(index, generation: generation, message: "\(error)"))
            }
        }
        for (entry, outcome) in zip(launches, LocalProcess.launchAll(launches.map(\.launch))) {
            switch outcome {
            case .success(let process):
                state.withLock { $0.workers[entry.index].process = process }
                watch(process, as: .worker(entry.index), in: &group) { exit in
                    .workerExited(entry.index, generation: entry.generation, ReplicaExit(exit))
                }
                enqueue(.workerStarted(entry.index, generation: entry.generation))
                let ports = state.withLock { $0.workers[entry.index].ports }
                group.addTask {
                    await self.probe(worker: entry.index, generation: entry.generation, process: process, ports: ports)
                }
            case .failure(let error):
                enqueue(.workerFailedToStart(entry.index, generation: entry.generation, message: error.message))
            }
        }
    }

    /// Probes until every port accepts connections from a listener in the worker's own
    /// process tree, then reports the worker ready. While the worker is not ready, says why
    /// every few seconds: nothing listens, or something else holds the port, or the worker
    /// listens on other ports than the ones it was given.
    private func probe(worker index: Int, generation: Int, process: LocalProcess, ports: [Int]) async {
        let pacing = context.pacing
        var pending = ports
        pacing.adjustPending(by: pending.count)
        defer { pacing.adjustPending(by: -pending.count) }
        var delay = pacing.shortest
        let started = ContinuousClock.now
        var nextDiagnosis = started + .seconds(3)
        var lastDiagnosis: String?
        while !process.hasExited {
            let before = pending.count
            pending.removeAll { port in
                EndpointProbe.accepts(port: port)
                    && ListenerOwnership.owner(ofPort: port, replicaProcess: process.pid) == .replica
            }
            pacing.adjustPending(by: pending.count - before)
            if pending.isEmpty {
                context.configuration.logger.debug(
                    "worker ready", metadata: ["run": "\(id)", "worker": "\(index)", "ports": "\(ports)"])
                sink.yield(.machine(.workerReady(index, generation: generation)))
                return
            }
            if ContinuousClock.now >= nextDiagnosis {
                nextDiagnosis = ContinuousClock.now + .seconds(3)
                let message = diagnose(worker: index, process: process, pending: pending, waited: ContinuousClock.now - started)
                if message != lastDiagnosis {
                    lastDiagnosis = message
                    sink.yield(.diagnosis(worker: index, generation: generation, message))
                }
            }
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            delay = pacing.interval(after: delay)
        }
    }

    /// Why worker `index` is not ready yet, for a person.
    private func diagnose(worker index: Int, process: LocalProcess, pending: [Int], waited: Duration) -> String {
        let endpoints = snapshot().spec.worker?.codespec.endpoints ?? []
        let assigned = state.withLock { $0.workers[index].ports }
        let names = pending.compactMap { port in assigned.firstIndex(of: port).map { endpoints[$0] } }
        let seconds = waited.components.seconds
        let listening = ListenerOwnership.listeningPorts(replicaProcess: process.pid)
        if let endpoint = names.first, let port = assigned.firstIndex(of: pending[0]).map({ assigned[$0] }) {
            if !listening.isEmpty {
                let where_ = listening.map(String.init).joined(separator: ", ")
                return "worker-\(index)'s endpoint '\(endpoint.name)' was given port \(port), and it listens on \(where_) "
                    + "instead; read the port from \(endpoint.portVariable) (the local backend gives every replica its own "
                    + "ports), or use the container backend, where every replica listens on the declared port \(endpoint.port)"
            }
            if ListenerOwnership.owner(ofPort: port, replicaProcess: process.pid) == .someoneElse {
                return "port \(port) of worker-\(index)'s endpoint '\(endpoint.name)' is held by another program, not by "
                    + "worker-\(index); the worker will be given another port if it restarts"
            }
            return "worker-\(index)'s endpoint '\(endpoint.name)' has not accepted connections on port \(port) for "
                + "\(seconds) s; it must listen on the port in \(endpoint.portVariable)"
        }
        return "worker-\(index) is not ready after \(seconds) s"
    }

    // MARK: - Job

    private func startJob(in group: inout TaskGroup<Void>) {
        let run = snapshot()
        var discovery: [(name: String, value: String)] = []
        if let worker = run.spec.worker {
            let slots = state.withLock { $0.workers }
            let hosts = Array(repeating: context.configuration.hostname, count: slots.count)
            let ports = worker.codespec.endpoints.enumerated().map { offset, endpoint in
                (endpoint: endpoint, ports: slots.map { $0.ports[offset] })
            }
            let lists = DiscoveryVariables.jobDiscovery(
                hosts: hosts, ports: ports, inlineLimit: context.configuration.discoveryInlineLimit)
            var paths: [String: String] = [:]
            if !lists.files.isEmpty {
                do {
                    paths = try folder.writeDiscoveryFiles(lists.files)
                } catch {
                    enqueue(.jobFailedToStart(message: "\(error)"))
                    return
                }
                eventLog.append(RunEvent(message: "the worker lists are too long for the environment; they are in files"))
            }
            discovery = lists.variables { paths[$0.variable] ?? "" }
        }
        let replicas = run.spec.job.replicas
        var launches: [ProcessLaunch] = []
        do {
            for replica in 0..<replicas {
                let injected =
                    RunEnvironment.job(runID: id, discovery: discovery)
                    + [(Self.hostnameVariable, RunEnvironment.jobHostname(runID: id, replica: replica))]
                launches.append(try processLaunch(run.spec.job.codespec, injected: injected))
            }
        } catch {
            enqueue(.jobFailedToStart(message: "\(error)"))
            return
        }
        var failure: String?
        for (replica, outcome) in LocalProcess.launchAll(launches).enumerated() {
            switch outcome {
            case .success(let process):
                watch(process, as: .job(replicas > 1 ? replica : nil), in: &group) { exit in
                    .jobExited(replica: replica, ReplicaExit(exit))
                }
            case .failure(let error):
                failure = failure ?? error.message
            }
        }
        enqueue(failure.map { .jobFailedToStart(message: $0) } ?? .jobStarted)
    }

    // MARK: - Processes

    /// Replicas share this machine's host name; each gets its own, as it would in a pod.
    private static let hostnameVariable = "HOSTNAME"

    /// The process a codespec describes, with the contract's `injected` variables.
    private func processLaunch(_ codespec: Codespec, injected: [(name: String, value: String)]) throws -> ProcessLaunch {
        let environment = EnvironmentExpansion.environment(
            base: context.baseEnvironment, entries: RunEnvironment.compose(injected: injected, codespec: codespec))
        let words = (codespec.command + codespec.args).map { EnvironmentExpansion.expand($0, using: environment) }
        guard let command = words.first else {
            throw TygerError(.invalidSpec, "the codespec has no command to run")
        }
        let executable = try ExecutableLookup.resolve(command, path: environment["PATH"], workingDirectory: codespec.workingDir)
        return ProcessLaunch(
            executable: executable, arguments: Array(words.dropFirst()), environment: environment,
            workingDirectory: codespec.workingDir, isolation: context.isolation)
    }

    /// Reads the process's output into the log and reports its exit as `exited(exit)`.
    private func watch(
        _ process: LocalProcess, as source: RunLogSource, in group: inout TaskGroup<Void>,
        exited: @escaping @Sendable (ProcessExit) -> RunStateMachine.Event
    ) {
        state.withLock { $0.live[process.pid] = process }
        group.addTask { [log] in
            for await line in process.output {
                log.append(RunLogLine(source: source, text: line.text, timestamp: line.timestamp))
            }
        }
        group.addTask { [sink] in
            let exit = await process.exit()
            _ = self.state.withLock { $0.live.removeValue(forKey: process.pid) }
            sink.yield(.machine(exited(exit)))
        }
    }

    /// Stops every process: SIGTERM to each one's group (see ``LocalProcess/requestStop()``),
    /// SIGKILL to what is left after the grace period, then waits for the output to end, at
    /// most one more grace period (a descendant that escaped a process that is not isolated
    /// can keep a pipe open; it is not waited for). Reports ``RunStateMachine/Event/stopped``.
    private func stopEverything() async {
        let grace = context.configuration.gracePeriod
        let processes = state.withLock { Array($0.live.values) }
        for process in processes { process.requestStop() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for process in processes { _ = await process.exit() }
            }
            group.addTask {
                guard (try? await Task.sleep(for: grace)) != nil else { return }
                for process in processes where !process.hasExited { process.signalGroup(SIGKILL) }
            }
            await group.next()
            group.cancelAll()
        }
        for process in processes { _ = await process.exit() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for process in processes { await process.outputEnded() }
            }
            group.addTask {
                guard (try? await Task.sleep(for: grace)) != nil else { return }
                for process in processes { process.closeOutput() }
            }
            await group.next()
            group.cancelAll()
        }
        sink.yield(.machine(.stopped))
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

    /// Applies an event that the loop itself produced, before anything the run's tasks
    /// report: a process started must be known started before its exit or readiness is.
    private func enqueue(_ event: RunStateMachine.Event) {
        pendingEvents.withLock { $0.append(event) }
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
                state.withLock { $0.recordError = error }
                context.configuration.logger.error(
                    "cannot record the run's state", metadata: ["run": "\(id)", "error": "\(error)"])
            }
        }
        for subscriber in subscribers { subscriber.yield(run) }
    }

    static let progressWriteInterval: Duration = .milliseconds(100)

    /// The run is terminal and nothing of it runs: release its ports, close its log and
    /// end every follower.
    private func finish() {
        release()
        log.close()
        eventLog.close()
        sink.finish()
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    private func release() {
        let ports = state.withLock { $0.workers.flatMap(\.ports) }
        context.ports.release(ports)
    }
}

extension ReplicaExit {
    init(_ exit: ProcessExit) {
        switch exit {
        case .exited(let code): self = .exited(code: Int(code))
        case .signaled(let signal): self = .signaled(Int(signal))
        }
    }
}
