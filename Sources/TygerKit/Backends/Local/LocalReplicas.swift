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

/// Runs a hosted run's replicas as processes on this machine: each worker replica on
/// ports of its own, ready once a listener of its own process tree accepts connections on
/// each of them; the job with the discovery lists pointing at them.
final class LocalReplicas: ReplicaDriver {
    private let context: LocalRunContext
    private let state: Mutex<State>

    private struct State {
        var workers: [WorkerSlot]
        /// Every process of the run that has not exited yet, by pid.
        var live: [Int32: LocalProcess] = [:]
    }

    /// One worker replica: its ports and its current process.
    private struct WorkerSlot {
        var ports: [Int]
        var process: LocalProcess?
    }

    /// Reserves the ports of every worker replica of `run`.
    init(run: Run, context: LocalRunContext) throws(TygerError) {
        self.context = context
        var workers: [WorkerSlot] = []
        if let worker = run.spec.worker {
            let count = worker.codespec.endpoints.count
            let ports = try context.ports.reserve(worker.replicas * count)
            workers = (0..<worker.replicas).map { WorkerSlot(ports: Array(ports[($0 * count)..<(($0 + 1) * count)])) }
        }
        state = Mutex(State(workers: workers))
    }

    // MARK: - Workers

    /// Starts the given replicas together (see ``LocalProcess/launchAll(_:)``).
    func startWorkers(_ indices: [Int], _ supervision: any RunSupervision, in group: inout TaskGroup<Void>) {
        let run = supervision.snapshot()
        guard let codespec = run.spec.worker?.codespec else { return }
        let id = run.id
        var launches: [(index: Int, generation: Int, launch: ProcessLaunch)] = []
        for index in indices {
            let generation = supervision.generation(ofWorker: index)
            let ports = state.withLock { $0.workers[index].ports }
            let stillPending = run.status == .pending
            var assigned = ports
            if generation > 1, stillPending {
                // The job has not seen the addresses yet: fresh ports cure a port another program took.
                do {
                    let fresh = try context.ports.reserve(codespec.endpoints.count)
                    context.ports.release(ports)
                    assigned = fresh
                    state.withLock { $0.workers[index].ports = fresh }
                } catch {
                    supervision.enqueue(.workerFailedToStart(index, generation: generation, message: "\(error)"))
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
                supervision.enqueue(.workerFailedToStart(index, generation: generation, message: "\(error)"))
            }
        }
        for (entry, outcome) in zip(launches, LocalProcess.launchAll(launches.map(\.launch))) {
            switch outcome {
            case .success(let process):
                state.withLock { $0.workers[entry.index].process = process }
                watch(process, as: .worker(entry.index), supervision, in: &group) { exit in
                    .workerExited(entry.index, generation: entry.generation, ReplicaExit(exit))
                }
                supervision.enqueue(.workerStarted(entry.index, generation: entry.generation))
                let ports = state.withLock { $0.workers[entry.index].ports }
                group.addTask {
                    await self.probe(worker: entry.index, generation: entry.generation, process: process, ports: ports, supervision)
                }
            case .failure(let error):
                supervision.enqueue(.workerFailedToStart(entry.index, generation: entry.generation, message: error.message))
            }
        }
    }

    /// Probes until every port accepts connections from a listener in the worker's own
    /// process tree, then reports the worker ready. While the worker is not ready, says why
    /// every few seconds: nothing listens, or something else holds the port, or the worker
    /// listens on other ports than the ones it was given.
    private func probe(
        worker index: Int, generation: Int, process: LocalProcess, ports: [Int], _ supervision: any RunSupervision
    ) async {
        let id = supervision.id
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
                supervision.logger.debug(
                    "worker ready", metadata: ["run": "\(id)", "worker": "\(index)", "ports": "\(ports)"])
                supervision.send(.workerReady(index, generation: generation))
                return
            }
            if ContinuousClock.now >= nextDiagnosis {
                nextDiagnosis = ContinuousClock.now + .seconds(3)
                let message = diagnose(
                    worker: index, process: process, pending: pending, waited: ContinuousClock.now - started,
                    endpoints: supervision.snapshot().spec.worker?.codespec.endpoints ?? [])
                if message != lastDiagnosis {
                    lastDiagnosis = message
                    supervision.diagnose(worker: index, generation: generation, message)
                }
            }
            guard (try? await Task.sleep(for: delay)) != nil else { return }
            delay = pacing.interval(after: delay)
        }
    }

    /// Why worker `index` is not ready yet, for a person.
    private func diagnose(
        worker index: Int, process: LocalProcess, pending: [Int], waited: Duration, endpoints: [Endpoint]
    ) -> String {
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

    func startJob(_ supervision: any RunSupervision, in group: inout TaskGroup<Void>) {
        let run = supervision.snapshot()
        let id = run.id
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
                    paths = try supervision.writeDiscoveryFiles(lists.files)
                } catch {
                    supervision.enqueue(.jobFailedToStart(message: "\(error)"))
                    return
                }
                supervision.report(RunEvent(message: "the worker lists are too long for the environment; they are in files"))
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
            supervision.enqueue(.jobFailedToStart(message: "\(error)"))
            return
        }
        var failure: String?
        for (replica, outcome) in LocalProcess.launchAll(launches).enumerated() {
            switch outcome {
            case .success(let process):
                watch(process, as: .job(replicas > 1 ? replica : nil), supervision, in: &group) { exit in
                    .jobExited(replica: replica, ReplicaExit(exit))
                }
            case .failure(let error):
                failure = failure ?? error.message
            }
        }
        supervision.enqueue(failure.map { .jobFailedToStart(message: $0) } ?? .jobStarted)
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
        _ process: LocalProcess, as source: RunLogSource, _ supervision: any RunSupervision,
        in group: inout TaskGroup<Void>,
        exited: @escaping @Sendable (ProcessExit) -> RunStateMachine.Event
    ) {
        state.withLock { $0.live[process.pid] = process }
        group.addTask {
            for await line in process.output {
                supervision.log(RunLogLine(source: source, text: line.text, timestamp: line.timestamp))
            }
        }
        group.addTask {
            let exit = await process.exit()
            _ = self.state.withLock { $0.live.removeValue(forKey: process.pid) }
            supervision.send(exited(exit))
        }
    }

    /// Stops every process: SIGTERM to each one's group (see ``LocalProcess/requestStop()``),
    /// SIGKILL to what is left after the grace period, then waits for the output to end, at
    /// most one more grace period (a descendant that escaped a process that is not isolated
    /// can keep a pipe open; it is not waited for).
    func stopEverything() async {
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
    }

    func release() async {
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
