import Foundation
import TygerKit

/// Figure 1: create → job start of a local run with 32 workers, against starting the same 33
/// processes by hand in the same benchmark run.
///
/// Both sides stop the clock when the job process has been spawned: for TygerKit that is
/// `Run.startedAt` (set right after the job is launched), measured from just before
/// `TygerClient.createRun`, so spec resolution and the run record count too; for the baseline it
/// is the return of `posix_spawn` for the job. The two sides alternate so that load from other
/// users of the machine falls on both alike.
struct LocalStartBenchmark {
    var programs: Programs
    var workers = 32
    var repetitions = 5
    /// The target for the ratio TygerKit / baseline.
    var maximumRatio = 1.3

    enum Failure: Error, CustomStringConvertible {
        case runFailed(Run)
        case portsNeverReady([Int])

        var description: String {
            switch self {
            case .runFailed(let run): "run \(run.id) ended \(run.status): \(run.statusReason ?? "")"
            case .portsNeverReady(let ports): "baseline workers never listened on \(ports)"
            }
        }
    }

    func run() async throws -> Figure {
        try await withTemporaryLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            var tygerKit: [Double] = []
            var baseline: [Double] = []
            // One untimed round of each first: page cache, the backend's first run record.
            _ = try await tygerKitOnce(client)
            _ = try baselineOnce()
            for _ in 0..<repetitions {
                tygerKit.append(try await tygerKitOnce(client))
                baseline.append(try baselineOnce())
            }
            let ratio = Statistics.median(tygerKit) / Statistics.median(baseline)
            return Figure(
                name: "local: create → job start, \(workers) workers",
                measured: "TygerKit \(formatMilliseconds(Statistics.median(tygerKit))), baseline \(formatMilliseconds(Statistics.median(baseline))) (medians of \(repetitions))",
                target: "ratio ≤ \(maximumRatio)",
                judgedBy: String(format: "ratio %.2f", ratio),
                passes: ratio <= maximumRatio)
        }
    }

    /// The run: `workers` replicas of `tyger-conformance worker`, a job that exits at once.
    private var spec: RunSpec {
        let conformance = programs.conformance.path
        return RunSpec(
            job: JobTarget(codespec: .inline(Codespec(image: "local", command: [conformance], args: ["exit", "0"]))),
            worker: WorkerSpec(
                codespec: .inline(
                    Codespec(
                        kind: .worker, image: "local", command: [conformance], args: ["worker"],
                        endpoints: [Endpoint(name: "rpc", port: 9002)])),
                replicas: workers))
    }

    private func tygerKitOnce(_ client: TygerClient) async throws -> Double {
        let start = Date()
        let created = try await client.createRun(spec)
        let final = try await client.waitUntilTerminal(created.id)
        guard final.status == .succeeded, let startedAt = final.startedAt else { throw Failure.runFailed(final) }
        return startedAt.timeIntervalSince(start) * 1_000
    }

    /// The same processes started directly: free ports, the workers, a plain connect loop until
    /// every port accepts, then the job with the discovery variables a job gets.
    private func baselineOnce() throws -> Double {
        let start = Date()
        let ports = (0..<workers).map { _ in LoopbackSocket.freePort() }
        let inherited = ProcessInfo.processInfo.environment
        var workerProcesses: [ChildProcess] = []
        defer {
            for process in workerProcesses { process.terminate() }
            for process in workerProcesses { process.wait() }
        }
        for (index, port) in ports.enumerated() {
            var environment = inherited
            environment["TYGER_RUN_ID"] = "baseline"
            environment["TYGER_WORKER_INDEX"] = String(index)
            environment["TYGER_RPC_ENDPOINT_PORT"] = String(port)
            workerProcesses.append(try ChildProcess(programs.conformance.path, ["worker"], environment: environment))
        }
        var pending = ports
        let giveUp = Date().addingTimeInterval(30)
        while !pending.isEmpty {
            pending.removeAll { LoopbackSocket.accepts(port: $0) }
            guard Date() < giveUp else { throw Failure.portsNeverReady(pending) }
            if !pending.isEmpty { usleep(1_000) }
        }
        var environment = inherited
        environment["TYGER_RUN_ID"] = "baseline"
        environment["TYGER_WORKER_NODES"] = jsonArray(ports.map { _ in "127.0.0.1" })
        environment["TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"] = jsonArray(ports.map { "127.0.0.1:\($0)" })
        let job = try ChildProcess(programs.conformance.path, ["exit", "0"], environment: environment)
        let elapsed = Date().timeIntervalSince(start) * 1_000
        job.wait()
        return elapsed
    }
}

/// A compact JSON array of strings that need no escaping (host names and `host:port`).
func jsonArray(_ values: [String]) -> String {
    "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]"
}

/// Runs `body` with a local backend whose state lives in a fresh temporary directory, so the
/// benchmarks never touch the user's `~/.tyger`; the directory is removed afterwards.
func withTemporaryLocalBackend<Result: Sendable>(_ body: (LocalBackend) async throws -> Result) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appending(path: "tyger-benchmarks-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    var configuration = LocalBackend.Configuration()
    configuration.directory = directory
    configuration.gracePeriod = .seconds(5)
    return try await LocalBackend.withBackend(configuration: configuration, body)
}
