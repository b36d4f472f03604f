import Foundation
import Testing
public import TygerKit

/// The behaviour every ``ClusterBackend`` must have, as checks a backend's own tests call.
///
/// Each check creates real runs through a ``TygerClient`` and records failures with Swift
/// Testing's `#expect`, so call them from `@Test` functions:
///
/// ```swift
/// @Test func discovery() async throws {
///     try await suite.discoveryContract()
/// }
/// ```
///
/// The checks cover the distributed-run contract (order, lengths, distinct replicas), the
/// wait for every endpoint, status transitions and reasons, exit codes, cancel, both
/// timeouts, merged logs, and that nothing is left running once a run is terminal.
public struct BackendConformanceSuite: Sendable {
    /// The backend under test.
    public var backend: any ClusterBackend
    /// The conformance programs, packaged for this backend.
    public var programs: ConformancePrograms
    /// The longest a single run may take before the check fails.
    public var runDeadline: Duration
    /// Lists what a terminal run left behind (processes, pods, ...); empty means nothing.
    /// Runs of this suite carry the environment variable ``runMarkerVariable`` with a unique value.
    public var leftovers: @Sendable (_ run: Run, _ marker: String) async throws -> [String]

    /// The variable every codespec of the suite carries, with a value unique to each run.
    public static let runMarkerVariable = "TYGER_CONFORMANCE_RUN"

    /// Creates a suite.
    public init(
        backend: any ClusterBackend,
        programs: ConformancePrograms,
        runDeadline: Duration = .seconds(60),
        leftovers: @escaping @Sendable (_ run: Run, _ marker: String) async throws -> [String]
    ) {
        self.backend = backend
        self.programs = programs
        self.runDeadline = runDeadline
        self.leftovers = leftovers
    }

    private var client: TygerClient { TygerClient(store: InMemoryCodespecStore(), backend: backend) }

    // MARK: - Checks

    /// The job sees every replica of every endpoint, in replica order, each address reaching
    /// a distinct replica (upstream Tyger's own end-to-end check), and the run succeeds.
    public func discoveryContract(replicas: Int = 3) async throws {
        let run = try await execute(
            job: ["job-discovery", "rpc", "--expect-replicas", "\(replicas)"],
            worker: (["worker"], replicas, [Endpoint(name: "rpc", port: 8080), Endpoint(name: "metrics", port: 9090)])
        )
        #expect(run.final.status == .succeeded, "\(run.final.statusReason ?? "")\n\(run.logText)")
        let summary = try #require(run.logs.first { $0.source == .job(nil) && $0.text.hasPrefix("{") })
        let report = try JSONDecoder().decode(DiscoveryReport.self, from: Data(summary.text.utf8))
        #expect(report.replicas == replicas)
        #expect(report.indexes == Array(0..<replicas))
        #expect(report.nodes.count == replicas)
        #expect(report.addresses.count == replicas)
        try await expectNothingLeft(run)
    }

    /// The job does not start before every endpoint of every replica accepts connections,
    /// even when workers listen only some time after they start.
    public func jobWaitsForEveryEndpoint(replicas: Int = 3) async throws {
        let run = try await execute(
            job: ["job-discovery", "rpc", "--expect-replicas", "\(replicas)"],
            worker: (["worker", "--listen-after", "1"], replicas, [Endpoint(name: "rpc", port: 8080)])
        )
        #expect(run.final.status == .succeeded, "\(run.final.statusReason ?? "")\n\(run.logText)")
        let start = try #require(run.final.startedAt)
        // Kubernetes reports container start times in whole seconds: compare from the whole
        // second the run was created in, which holds for any backend's resolution.
        let createdSecond = Date(timeIntervalSince1970: run.final.createdAt.timeIntervalSince1970.rounded(.down))
        #expect(start.timeIntervalSince(createdSecond) >= 1, "the job started before the workers listened")
        #expect(run.final.workers == WorkerProgress(ready: replicas, total: replicas))
        try await expectNothingLeft(run)
    }

    /// A run without workers goes Pending → Running → Succeeded, gets TYGER_RUN_ID, and no
    /// worker variables.
    public func runWithoutWorkers() async throws {
        let run = try await execute(job: ["env", "TYGER_RUN_ID", "TYGER_WORKER_NODES"])
        #expect(run.submitted.status == .pending)
        #expect(run.final.status == .succeeded)
        #expect(run.final.statusReason == nil)
        #expect(isOrderedSubsequence(run.statuses, of: [.pending, .running, .succeeded]), "\(run.statuses)")
        #expect(run.final.startedAt != nil && run.final.finishedAt != nil)
        let texts = run.logs.filter { $0.source == .job(nil) }.map(\.text)
        #expect(texts.contains("TYGER_RUN_ID=\(run.final.id)"), "\(texts)")
        #expect(texts.contains("TYGER_WORKER_NODES unset"), "\(texts)")
        try await expectNothingLeft(run)
    }

    /// A job that exits non-zero fails the run with `Main exited with code N`, and its workers stop.
    public func failingJobFailsTheRun(exitCode: Int = 3) async throws {
        let run = try await execute(
            job: ["exit", "\(exitCode)"],
            worker: (["worker"], 2, [Endpoint(name: "rpc", port: 8080)])
        )
        #expect(run.final.status == .failed)
        #expect(run.final.statusReason == "Main exited with code \(exitCode)")
        try await expectNothingLeft(run)
    }

    /// Every job replica must exit 0 for the run to succeed.
    public func everyJobReplicaMustSucceed() async throws {
        let run = try await execute(job: ["exit", "0"], jobReplicas: 3)
        #expect(run.final.status == .succeeded)
        let replicas = Set(run.logs.compactMap { line -> Int? in
            if case .job(let replica?) = line.source { return replica }
            return nil
        })
        #expect(replicas == [0, 1, 2], "every job replica ran and logged under its own index")
        try await expectNothingLeft(run)
    }

    /// Canceling a running run stops the job and the workers and ends `Canceled` with
    /// `Canceled by user`; a terminal run never changes again.
    public func cancelStopsEverything() async throws {
        let client = client
        let marker = UUID().uuidString
        let submitted = try await client.createRun(
            spec(job: ["sleep", "300"], worker: (["worker"], 2, [Endpoint(name: "rpc", port: 8080)]), marker: marker))
        _ = try await waitFor(submitted.id) { $0.status == .running || $0.status.isTerminal }
        let canceling = try await client.cancel(id: submitted.id)
        #expect([.canceling, .canceled].contains(canceling.status))
        let final = try await waitForTerminal(submitted.id)
        #expect(final.status == .canceled)
        #expect(final.statusReason == "Canceled by user")
        let again = try await client.cancel(id: submitted.id)
        #expect(again.status == .canceled, "canceling a terminal run changes nothing")
        try await expectNothingLeft(ExecutedRun(submitted: submitted, final: final, statuses: [], logs: [], marker: marker))
    }

    /// A run whose workers never become ready is canceled at its timeout with
    /// `Run exceeded its timeout while pending`.
    public func pendingTimeout() async throws {
        let run = try await execute(
            job: ["exit", "0"],
            worker: (["sleep", "300"], 1, [Endpoint(name: "rpc", port: 8080)]),
            timeoutSeconds: 1
        )
        #expect(run.final.status == .canceled)
        #expect(run.final.statusReason == "Run exceeded its timeout while pending")
        #expect(run.final.startedAt == nil, "the job never started")
        try await expectNothingLeft(run)
    }

    /// A job still running at the timeout fails the run.
    public func runningTimeout() async throws {
        // Long enough for the job to start on a loaded machine; the check needs it running.
        let run = try await execute(job: ["sleep", "300"], timeoutSeconds: 3)
        #expect(run.statuses.contains(.running), "the job never started: \(run.statuses)")
        #expect(run.final.status == .failed)
        #expect(run.final.statusReason?.contains("timeout") == true, "\(run.final.statusReason ?? "")")
        try await expectNothingLeft(run)
    }

    /// The merged logs, followed while the run goes on, hold every line of the job (stdout and
    /// stderr) and of each worker, each under its source; the job's lines can still be read
    /// once the run is over. (Worker logs may go with their workers on backends that remove
    /// them, as Kubernetes does with pods.)
    public func mergedLogs() async throws {
        let client = client
        let marker = UUID().uuidString
        let submitted = try await client.createRun(
            spec(job: ["print", "4"], worker: (["worker"], 2, [Endpoint(name: "rpc", port: 8080)]), marker: marker))
        let followed = try await collect(client.logs(of: submitted.id, follow: true))
        let final = try await waitForTerminal(submitted.id)
        #expect(final.status == .succeeded)
        let expectedJobLines = ["line 0", "line 1", "line 2", "line 3", "err 0", "err 2"]
        let job = followed.filter { $0.source == .job(nil) }.map(\.text)
        for line in expectedJobLines {
            #expect(job.contains(line), "missing job line '\(line)' in \(job)")
        }
        for index in 0..<2 {
            #expect(
                followed.contains { $0.source == .worker(index) && $0.text.contains("worker \(index) listening") },
                "worker-\(index) logged nothing: \(followed)"
            )
        }
        let stored = try await collect(client.logs(of: submitted.id, follow: false))
        let storedJob = stored.filter { $0.source == .job(nil) }.map(\.text)
        #expect(expectedJobLines.allSatisfy(storedJob.contains), "the job's lines are readable after the run: \(storedJob)")
        try await expectNothingLeft(ExecutedRun(submitted: submitted, final: final, statuses: [], logs: stored, marker: marker))
    }

    /// Runs one check of the suite.
    public func run(_ check: BackendConformanceCheck) async throws {
        switch check {
        case .discoveryContract: try await discoveryContract()
        case .discoveryContractWithEightReplicas: try await discoveryContract(replicas: 8)
        case .jobWaitsForEveryEndpoint: try await jobWaitsForEveryEndpoint()
        case .runWithoutWorkers: try await runWithoutWorkers()
        case .failingJobFailsTheRun: try await failingJobFailsTheRun()
        case .everyJobReplicaMustSucceed: try await everyJobReplicaMustSucceed()
        case .cancelStopsEverything: try await cancelStopsEverything()
        case .pendingTimeout: try await pendingTimeout()
        case .runningTimeout: try await runningTimeout()
        case .mergedLogs: try await mergedLogs()
        }
    }

    /// Runs every check, one after the other.
    public func runAll() async throws {
        for check in BackendConformanceCheck.allCases { try await run(check) }
    }

    // MARK: - Running

    private struct ExecutedRun {
        var submitted: Run
        var final: Run
        var statuses: [RunStatus]
        var logs: [RunLogLine]
        var marker: String
        var logText: String { logs.map(\.description).joined(separator: "\n") }
    }

    private struct DiscoveryReport: Decodable {
        var replicas: Int
        var indexes: [Int]
        var nodes: [String]
        var addresses: [String]
    }

    private func spec(
        job: [String],
        jobReplicas: Int = 1,
        worker: (arguments: [String], replicas: Int, endpoints: [Endpoint])? = nil,
        timeoutSeconds: Int = RunSpec.defaultTimeoutSeconds,
        marker: String
    ) -> RunSpec {
        var jobCodespec = programs.codespec(.job, job)
        jobCodespec.env[Self.runMarkerVariable] = marker
        var spec = RunSpec(
            job: JobTarget(codespec: .inline(jobCodespec), replicas: jobReplicas), timeoutSeconds: timeoutSeconds)
        if let worker {
            var workerCodespec = programs.codespec(.worker, worker.arguments, endpoints: worker.endpoints)
            workerCodespec.env[Self.runMarkerVariable] = marker
            spec.worker = WorkerSpec(codespec: .inline(workerCodespec), replicas: worker.replicas)
        }
        return spec
    }

    private func execute(
        job: [String],
        jobReplicas: Int = 1,
        worker: (arguments: [String], replicas: Int, endpoints: [Endpoint])? = nil,
        timeoutSeconds: Int = RunSpec.defaultTimeoutSeconds
    ) async throws -> ExecutedRun {
        let client = client
        let marker = UUID().uuidString
        let submitted = try await client.createRun(
            spec(job: job, jobReplicas: jobReplicas, worker: worker, timeoutSeconds: timeoutSeconds, marker: marker))
        let (final, statuses) = try await follow(submitted.id) { $0.status.isTerminal }
        let logs = try await collect(client.logs(of: submitted.id, follow: false))
        return ExecutedRun(submitted: submitted, final: final, statuses: statuses, logs: logs, marker: marker)
    }

    private func waitFor(_ id: RunID, until condition: @escaping @Sendable (Run) -> Bool) async throws -> Run {
        try await follow(id, until: condition).run
    }

    private func waitForTerminal(_ id: RunID) async throws -> Run {
        try await waitFor(id) { $0.status.isTerminal }
    }

    /// Follows a run's updates until `condition` holds, failing after ``runDeadline``; also
    /// returns the distinct statuses seen on the way.
    private func follow(_ id: RunID, until condition: @escaping @Sendable (Run) -> Bool) async throws
        -> (run: Run, statuses: [RunStatus])
    {
        let updates = client.updates(of: id)
        let deadline = runDeadline
        let outcome = try await withThrowingTaskGroup(of: (run: Run, statuses: [RunStatus])?.self) { group in
            group.addTask {
                var statuses: [RunStatus] = []
                for try await run in updates {
                    if statuses.last != run.status { statuses.append(run.status) }
                    if condition(run) { return (run, statuses) }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let outcome else {
            throw ConformanceFailure("run \(id) did not reach the expected state within \(runDeadline)")
        }
        return outcome
    }

    private func collect(_ lines: AsyncThrowingStream<RunLogLine, any Error>) async throws -> [RunLogLine] {
        var collected: [RunLogLine] = []
        for try await line in lines { collected.append(line) }
        return collected
    }

    private func expectNothingLeft(_ run: ExecutedRun) async throws {
        let left = try await leftovers(run.final, run.marker)
        #expect(left.isEmpty, "run \(run.final.id) left behind: \(left)")
    }

    private func isOrderedSubsequence(_ observed: [RunStatus], of expected: [RunStatus]) -> Bool {
        var remaining = expected[...]
        for status in observed {
            guard let index = remaining.firstIndex(of: status) else { return false }
            remaining = remaining[(index + 1)...]
        }
        return observed.last == expected.last
    }
}

/// The checks of ``BackendConformanceSuite``, listed once so that every backend's tests run
/// the same ones:
///
/// ```swift
/// @Test(arguments: BackendConformanceCheck.allCases)
/// func conformance(_ check: BackendConformanceCheck) async throws {
///     try await withSuite { try await $0.run(check) }
/// }
/// ```
public enum BackendConformanceCheck: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// ``BackendConformanceSuite/discoveryContract(replicas:)`` with 3 replicas.
    case discoveryContract
    /// ``BackendConformanceSuite/discoveryContract(replicas:)`` with 8 replicas.
    case discoveryContractWithEightReplicas
    /// ``BackendConformanceSuite/jobWaitsForEveryEndpoint(replicas:)``.
    case jobWaitsForEveryEndpoint
    /// ``BackendConformanceSuite/runWithoutWorkers()``.
    case runWithoutWorkers
    /// ``BackendConformanceSuite/failingJobFailsTheRun(exitCode:)``.
    case failingJobFailsTheRun
    /// ``BackendConformanceSuite/everyJobReplicaMustSucceed()``.
    case everyJobReplicaMustSucceed
    /// ``BackendConformanceSuite/cancelStopsEverything()``.
    case cancelStopsEverything
    /// ``BackendConformanceSuite/pendingTimeout()``.
    case pendingTimeout
    /// ``BackendConformanceSuite/runningTimeout()``.
    case runningTimeout
    /// ``BackendConformanceSuite/mergedLogs()``.
    case mergedLogs

    public var description: String { rawValue }
}

/// A conformance check that could not complete.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    init(_ description: String) { self.description = description }
}
