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
    private let onFinish: @Sendable (String) -> Void

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
        onFinish: @escaping @Sendable (String) -> Void
    ) {
        self.run = run
        self.configuration = configuration
        self.records = records
        self.onFinish = onFinish
    }

    private var id: String { run.id }
    private var workerCodespec: Codespec? { run.spec.workerCodespec }

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
        if let worker = run.spec.spec.worker, let codespec = workerCodespec {
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

    func cancel(reason: String) {
        beginFinishing(.canceled, reason: reason)
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
                        await self?.cancel(reason: "Canceled by user")
                        return
                    }
                }
            })
    }

    private func timedOut() {
        switch run.status {
        case .pending: beginFinishing(.canceled, reason: "Run exceeded its timeout while pending")
        case .running: beginFinishing(.failed, reason: "Run exceeded its timeout")
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
                    beginFinishing(.failed, reason: "worker-\(index) could not restart: \(error)")
                    return
                }
            }
            let ports = zip(codespec.endpoints, workers[index].ports).map { (endpoint: $0, port: $1) }
            let variables = DiscoveryVariables.worker(index: index, ports: ports)
            do {
                launches.append((index, try processLaunch(codespec, variables: variables, base: base)))
            } catch {
                beginFinishing(.failed, reason: "worker-\(index) could not start: \(error)")
                return
            }
        }
        var firstFailure: String?
        for (entry, outcome) in zip(launches, LocalProcess.launchAll(launches.map(\.launch))) {
            switch outcome {
            case .success(let process):
                watchWorker(entry.index, process)
            case .failure(let error):
                firstFailure = firstFailure ?? "worker-\(entry.index) could not start: \(error)"
            }
        }
        if let firstFailure { beginFinishing(.failed, reason: firstFailure) }
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
        let replicas = run.spec.spec.job.replicas
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
                    beginFinishing(.failed, reason: "The job could not start: \(error)")
                    return
                }
                let folder = records.discoveryFolder(id).path
                log(.system, "the worker lists are too long for the environment; they are in \(folder)")
            }
            variables = discovery.variables { paths[$0.variable] ?? "" }
        }
        let launch: ProcessLaunch
        do {
            launch = try processLaunch(run.spec.jobCodespec, variables: variables, base: baseEnvironment)
        } catch {
            beginFinishing(.failed, reason: "The job could not start: \(error)")
            return
        }
        var firstFailure: String?
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
                firstFailure = firstFailure ?? "The job could not start: \(error)"
            }
        }
        if let firstFailure {
            beginFinishing(.failed, reason: firstFailure)
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
            if jobExits.count == run.spec.spec.job.replicas { beginFinishing(.succeeded, reason: nil) }
        case .exited(let code):
            beginFinishing(.failed, reason: "Main exited with code \(code)")
        case .signaled(let signal):
            beginFinishing(.failed, reason: "Main was killed by signal \(signal)")
        }
    }

    // MARK: - Processes

    /// What every process of the run starts from: the host's environment, or nothing.
    private var baseEnvironment: [String: String] {
        configuration.inheritsEnvironment ? ProcessInfo.processInfo.environment : [:]
    }

    /// The process a codespec describes, with the contract's `variables` and `TYGER_RUN_ID`.
    private func processLaunch(
        _ codespec: Codespec, variables: [(name: String, value: String)], base: [String: String]
    ) throws -> ProcessLaunch {
        let injected = [(name: DiscoveryVariables.runID, value: id)] + variables
        // The contract's variables win: a codespec entry with the same name is dropped, as on Kubernetes.
        let injectedNames = Set(injected.map(\.name))
        let environment = EnvironmentExpansion.environment(
            base: base,
            entries: injected
                + codespec.env.sorted { $0.key < $1.key }.filter { !injectedNames.contains($0.key) }
                .map { (name: $0.key, value: $0.value) }
        )
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
    private func beginFinishing(_ status: RunStatus, reason: String?) {
        guard !isFinishing, !run.status.isTerminal else { return }
        isFinishing = true
        timers.forEach { $0.cancel() }
        if status == .canceled {
            run.status = .canceling
            run.statusReason = reason
            persist()
            publish()
        }
        if let reason { log(.system, reason) }
        Task { await self.stopProcessesAndFinish(status, reason: reason) }
    }

    private func stopProcessesAndFinish(_ status: RunStatus, reason: String?) async {
        let processes = jobProcesses + workers.compactMap(\.process)
        let gracePeriod = configuration.gracePeriod
        await withTaskGroup(of: Void.self) { group in
            for process in processes where !process.hasExited {
                group.addTask { _ = await process.terminate(gracePeriod: gracePeriod) }
            }
        }
        for task in outputTasks { await task.value }
        PortAllocator.release(workers.flatMap(\.ports))
        run.status = status
        run.statusReason = reason
        run.finishedAt = Date()
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
