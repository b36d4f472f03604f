import Foundation
import Logging
import Synchronization

/// Carries out one run on this machine: starts workers, waits until every endpoint of every
/// replica accepts connections, starts the job, restarts workers that exit, enforces the
/// timeout, and stops every process when the run ends, for whatever reason.
actor LocalRunExecution {
    private var run: Run
    private let configuration: LocalBackend.Configuration
    private let records: LocalRunRecords
    private let onFinish: @Sendable (RunID) -> Void

    private var workers: [WorkerReplica] = []
    private var jobProcesses: [LocalProcess] = []
    private var jobExits: [Int: ProcessExit] = [:]
    private var outputTasks: [Task<Void, Never>] = []
    private var timers: [Task<Void, Never>] = []
    private var isFinishing = false
    private var finalRun: Run?
    private var finishWaiters: [CheckedContinuation<Run, Never>] = []

    private var updateSubscribers: [UUID: AsyncThrowingStream<Run, any Error>.Continuation] = [:]
    private var logSubscribers: [UUID: AsyncThrowingStream<RunLogLine, any Error>.Continuation] = [:]
    private var logFile: FileHandle?

    /// One worker replica: its ports, current process, and whether all its endpoints answer.
    private struct WorkerReplica {
        var ports: [Int]
        var process: LocalProcess?
        /// Changes on every (re)start, so results about an earlier process are ignored.
        var generation = 0
        var isReady = false
        var restarts = 0
    }

    init(
        run: Run,
        configuration: LocalBackend.Configuration,
        records: LocalRunRecords,
        onFinish: @escaping @Sendable (RunID) -> Void
    ) {
        self.run = run
        self.configuration = configuration
        self.records = records
        self.onFinish = onFinish
    }

    private var id: RunID { run.id }
    private var workerCodespec: Codespec? { run.spec.worker?.codespec }

    // MARK: - Observing

    func snapshot() -> Run { run }

    nonisolated func updates() -> AsyncThrowingStream<Run, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Run, any Error>.makeStream()
        Task { await subscribeToUpdates(continuation) }
        return stream
    }

    /// The log so far and, with `follow`, every new line until the run is terminal.
    nonisolated func logs(follow: Bool) -> AsyncThrowingStream<RunLogLine, any Error> {
        let (stream, continuation) = AsyncThrowingStream<RunLogLine, any Error>.makeStream()
        Task { await subscribeToLogs(continuation, follow: follow) }
        return stream
    }

    private func subscribeToUpdates(_ continuation: AsyncThrowingStream<Run, any Error>.Continuation) {
        continuation.yield(run)
        guard !run.status.isTerminal else {
            continuation.finish()
            return
        }
        let key = UUID()
        updateSubscribers[key] = continuation
        continuation.onTermination = { _ in Task { await self.dropUpdateSubscriber(key) } }
    }

    /// Reading the file and subscribing happen in one actor turn, so no line is lost or repeated.
    private func subscribeToLogs(_ continuation: AsyncThrowingStream<RunLogLine, any Error>.Continuation, follow: Bool) {
        try? logFile?.synchronize()
        var reader = LogFileReader(url: records.logFile(id))
        for line in reader.readNewLines() { continuation.yield(line) }
        guard follow, !run.status.isTerminal else {
            continuation.finish()
            return
        }
        let key = UUID()
        logSubscribers[key] = continuation
        continuation.onTermination = { _ in Task { await self.dropLogSubscriber(key) } }
    }

    /// Waits until the run is terminal and every process is gone.
    func finished() async -> Run {
        if let finalRun { return finalRun }
        return await withCheckedContinuation { finishWaiters.append($0) }
    }

    private func dropUpdateSubscriber(_ key: UUID) { updateSubscribers[key] = nil }
    private func dropLogSubscriber(_ key: UUID) { logSubscribers[key] = nil }

    // MARK: - Lifecycle

    func start() throws(TygerError) {
        records.recordHost(id)
        FileManager.default.createFile(atPath: records.logFile(id).path, contents: nil)
        logFile = try? FileHandle(forWritingTo: records.logFile(id))
        if let worker = run.spec.worker {
            let codespec = worker.codespec
            let endpointCount = codespec.endpoints.count
            let ports = try PortAllocator.reserve(worker.replicas * endpointCount)
            workers = (0..<worker.replicas).map { index in
                WorkerReplica(ports: Array(ports[(index * endpointCount)..<((index + 1) * endpointCount)]))
            }
            run.workers = WorkerProgress(ready: 0, total: worker.replicas)
        }
        do {
            try records.write(run)
        } catch {
            // The run never starts: give back its ports and its log file now, not when the
            // execution happens to be released.
            PortAllocator.release(workers.flatMap(\.ports))
            try? logFile?.close()
            logFile = nil
            throw error
        }
        startTimers()
        if workers.isEmpty {
            startJob()
        } else {
            log(.system, "starting \(workers.count) worker replica(s)")
            startWorkers(Array(workers.indices))
        }
    }

    func cancel(_ ending: RunEnding) {
        beginFinishing(ending)
    }

    private func startTimers() {
        let deadline = ContinuousClock.now + .seconds(max(0, run.deadline.timeIntervalSinceNow))
        timers.append(
            Task { [weak self] in
                guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                await self?.timedOut()
            })
        // Another process asks for cancellation through a file; this is the only way it can reach us.
        timers.append(
            Task { [weak self, records, id] in
                while !Task.isCancelled {
                    guard (try? await Task.sleep(for: RecordFollower.interval)) != nil else { return }
                    if records.isCancelRequested(id) {
                        await self?.cancel(.canceledByUser)
                        return
                    }
                }
            })
    }

    private func timedOut() {
        switch run.status {
        case .pending: beginFinishing(.timedOut(whilePending: true))
        case .running: beginFinishing(.timedOut(whilePending: false))
        case .succeeded, .failed, .canceling, .canceled: break
        }
    }

    // MARK: - Workers

    /// Starts the given replicas together (see ``LocalProcess/launchAll(_:)``); the first
    /// that cannot start fails the run, and the others are stopped with it.
    private func startWorkers(_ indices: [Int]) {
        guard !isFinishing, let codespec = workerCodespec else { return }
        let base = baseEnvironment
        var launches: [(index: Int, launch: ProcessLaunch)] = []
        for index in indices {
            workers[index].generation += 1
            workers[index].isReady = false
            if workers[index].generation > 1, run.status == .pending {
                // The job has not seen the addresses yet: fresh ports cure a port another program took.
                PortAllocator.release(workers[index].ports)
                do {
                    workers[index].ports = try PortAllocator.reserve(codespec.endpoints.count)
                } catch {
                    beginFinishing(.workerCouldNotStart(index: index, "\(error)"))
                    return
                }
            }
            let ports = zip(codespec.endpoints, workers[index].ports).map { (endpoint: $0, port: $1) }
            let injected = RunEnvironment.worker(runID: id, index: index, ports: ports)
            do {
                launches.append((index, try processLaunch(codespec, injected: injected, base: base)))
            } catch {
                beginFinishing(.workerCouldNotStart(index: index, "\(error)"))
                return
            }
        }
        var firstFailure: RunEnding?
        for (entry, outcome) in zip(launches, LocalProcess.launchAll(launches.map(\.launch))) {
            switch outcome {
            case .success(let process):
                watchWorker(entry.index, process)
            case .failure(let error):
                firstFailure = firstFailure ?? .workerCouldNotStart(index: entry.index, "\(error)")
            }
        }
        if let firstFailure { beginFinishing(firstFailure) }
    }

    private func watchWorker(_ index: Int, _ process: LocalProcess) {
        let generation = workers[index].generation
        workers[index].process = process
        collectOutput(of: process, as: .worker(index))
        Task { [weak self] in
            let exit = await process.exit()
            await self?.workerExited(index, generation: generation, exit: exit)
        }
        let portsToProbe = workers[index].ports
        Task { [weak self] in
            guard await Self.waitUntilAccepting(portsToProbe, while: { !process.hasExited }) else { return }
            await self?.workerReady(index, generation: generation)
        }
    }

    /// Probes until every port accepts a connection: every millisecond at first, then less
    /// often while many ports in the process are pending (see ``ProbePacing``).
    private static func waitUntilAccepting(
        _ ports: [Int], pacing: ProbePacing = .shared, while isAlive: @Sendable () -> Bool
    ) async -> Bool {
        var pending = ports
        pacing.adjustPending(by: pending.count)
        defer { pacing.adjustPending(by: -pending.count) }
        var delay = pacing.shortest
        while isAlive() {
            let before = pending.count
            pending.removeAll { EndpointProbe.accepts(port: $0) }
            pacing.adjustPending(by: pending.count - before)
            if pending.isEmpty { return true }
            guard (try? await Task.sleep(for: delay)) != nil else { return false }
            delay = pacing.interval(after: delay)
        }
        return false
    }

    private func workerReady(_ index: Int, generation: Int) {
        guard !isFinishing, workers[index].generation == generation, !workers[index].isReady else { return }
        workers[index].isReady = true
        workers[index].restarts = 0
        updateProgress()
        if run.status == .pending, workers.allSatisfy(\.isReady) {
            log(.system, "all \(workers.count) worker replica(s) are ready; starting the job")
            startJob()
        }
    }

    private func workerExited(_ index: Int, generation: Int, exit: ProcessExit) {
        guard !isFinishing, workers[index].generation == generation else { return }
        workers[index].isReady = false
        workers[index].process = nil
        workers[index].restarts += 1
        updateProgress()
        let delay = restartDelay(after: workers[index].restarts)
        let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        log(.system, "worker-\(index) \(exit); restarting in \(milliseconds) ms")
        Task { [weak self] in
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            await self?.startWorkers([index])
        }
    }

    private func restartDelay(after restarts: Int) -> Duration {
        let doubled = configuration.initialRestartDelay * (1 << min(max(restarts - 1, 0), 20))
        return min(doubled, configuration.maximumRestartDelay)
    }

    private func updateProgress() {
        guard let progress = run.workers else { return }
        let ready = workers.count { $0.isReady }
        guard ready != progress.ready, run.status == .pending else { return }
        run.workers = WorkerProgress(ready: ready, total: progress.total)
        publish()
    }

    // MARK: - Job

    private func startJob() {
        guard run.status == .pending, !isFinishing else { return }
        let replicas = run.spec.job.replicas
        var variables: [(name: String, value: String)] = []
        if let codespec = workerCodespec {
            let hosts = Array(repeating: configuration.hostname, count: workers.count)
            let ports = codespec.endpoints.enumerated().map { offset, endpoint in
                (endpoint: endpoint, ports: workers.map { $0.ports[offset] })
            }
            let discovery = DiscoveryVariables.jobDiscovery(
                hosts: hosts, ports: ports, inlineLimit: LocalDiscoveryTuning.inlineLimit(for: configuration.directory))
            var paths: [String: String] = [:]
            if !discovery.files.isEmpty {
                do {
                    paths = try records.writeDiscoveryFiles(id, discovery.files)
                } catch {
                    beginFinishing(.jobCouldNotStart("\(error)"))
                    return
                }
                let folder = records.discoveryFolder(id).path
                log(.system, "the worker lists are too long for the environment; they are in \(folder)")
            }
            variables = discovery.variables { paths[$0.variable] ?? "" }
        }
        let launch: ProcessLaunch
        do {
            launch = try processLaunch(run.spec.job.codespec, injected: RunEnvironment.job(runID: id, discovery: variables), base: baseEnvironment)
        } catch {
            beginFinishing(.jobCouldNotStart("\(error)"))
            return
        }
        var firstFailure: RunEnding?
        for (replica, outcome) in LocalProcess.launchAll(Array(repeating: launch, count: replicas)).enumerated() {
            switch outcome {
            case .success(let process):
                jobProcesses.append(process)
                collectOutput(of: process, as: .job(replicas > 1 ? replica : nil))
                Task { [weak self] in
                    let exit = await process.exit()
                    await self?.jobExited(replica, exit: exit)
                }
            case .failure(let error):
                firstFailure = firstFailure ?? .jobCouldNotStart("\(error)")
            }
        }
        if let firstFailure {
            beginFinishing(firstFailure)
            return
        }
        run.status = .running
        run.startedAt = Date()
        persist()
        publish()
    }

    private func jobExited(_ replica: Int, exit: ProcessExit) {
        guard !isFinishing else { return }
        jobExits[replica] = exit
        switch exit {
        case .exited(0):
            if jobExits.count == run.spec.job.replicas { beginFinishing(.jobSucceeded) }
        case .exited(let code):
            beginFinishing(.jobExited(code: Int(code)))
        case .signaled(let signal):
            beginFinishing(.jobKilled(signal: Int(signal)))
        }
    }

    // MARK: - Processes

    /// What every process of the run starts from: the host's environment, or nothing.
    private var baseEnvironment: [String: String] {
        configuration.inheritsEnvironment ? ProcessInfo.processInfo.environment : [:]
    }

    /// The process a codespec describes, with the contract's `injected` variables.
    private func processLaunch(
        _ codespec: Codespec, injected: [(name: String, value: String)], base: [String: String]
    ) throws -> ProcessLaunch {
        let environment = EnvironmentExpansion.environment(
            base: base, entries: RunEnvironment.compose(injected: injected, codespec: codespec))
        let words = (codespec.command + codespec.args).map { EnvironmentExpansion.expand($0, using: environment) }
        guard let command = words.first else {
            throw TygerError(.invalidSpec, "the codespec has no command to run")
        }
        let executable = try ExecutableLookup.resolve(
            command, path: environment["PATH"], workingDirectory: codespec.workingDir)
        return ProcessLaunch(
            executable: executable,
            arguments: Array(words.dropFirst()),
            environment: environment,
            workingDirectory: codespec.workingDir
        )
    }

    private func collectOutput(of process: LocalProcess, as source: RunLogSource) {
        outputTasks.append(
            Task { [weak self] in
                for await line in process.output {
                    await self?.log(source, line.text)
                }
            })
    }

    // MARK: - Ending

    /// Marks the run as ending and stops its processes; the terminal status is published only
    /// once every process is gone, so a watcher that sees it can rely on that.
    private func beginFinishing(_ ending: RunEnding) {
        guard !isFinishing, !run.status.isTerminal else { return }
        isFinishing = true
        timers.forEach { $0.cancel() }
        if ending.isCancellation {
            run.beginCanceling(ending)
            persist()
            publish()
        }
        if let reason = ending.reason { log(.system, reason) }
        Task { await self.stopProcessesAndFinish(ending) }
    }

    private func stopProcessesAndFinish(_ ending: RunEnding) async {
        let processes = jobProcesses + workers.compactMap(\.process)
        let gracePeriod = configuration.gracePeriod
        await withTaskGroup(of: Void.self) { group in
            for process in processes where !process.hasExited {
                group.addTask { _ = await process.terminate(gracePeriod: gracePeriod) }
            }
        }
        for task in outputTasks { await task.value }
        PortAllocator.release(workers.flatMap(\.ports))
        // A canceling run is not terminal yet: end() applies to it.
        run.end(ending)
        persist()
        publish()
        try? logFile?.close()
        logFile = nil
        for subscriber in updateSubscribers.values { subscriber.finish() }
        for subscriber in logSubscribers.values { subscriber.finish() }
        updateSubscribers = [:]
        logSubscribers = [:]
        finalRun = run
        for waiter in finishWaiters { waiter.resume(returning: run) }
        finishWaiters = []
        onFinish(id)
    }

    // MARK: - Reporting

    private func publish() {
        for subscriber in updateSubscribers.values { subscriber.yield(run) }
    }

    private func persist() {
        do {
            try records.write(run)
        } catch {
            configuration.logger.error("cannot record run state", metadata: ["run": "\(id)", "error": "\(error)"])
        }
    }

    private func log(_ source: RunLogSource, _ text: String) {
        let line = RunLogLine(source: source, text: text)
        logFile?.write(Data(LogFileFormat.format(line).utf8))
        for subscriber in logSubscribers.values { subscriber.yield(line) }
    }
}

/// Test knob: the longest discovery list the local backend passes inline, per state directory,
/// so tests can exercise the file path with a few workers instead of thousands of processes.
package enum LocalDiscoveryTuning {
    private static let overrides = Mutex<[String: Int]>([:])

    /// Sets (or with `nil`, removes) the inline limit for runs kept in the state directory at `path`.
    package static func setInlineLimit(_ limit: Int?, forDirectory path: String) {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        overrides.withLock { $0[key] = limit }
    }

    static func inlineLimit(for directory: URL) -> Int {
        overrides.withLock { $0[directory.standardizedFileURL.path] } ?? DiscoveryVariables.inlineLimit
    }
}
