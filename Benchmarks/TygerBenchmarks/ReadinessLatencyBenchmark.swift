import Foundation
import TygerKit

/// Figure 2: how long after the last endpoint becomes ready the local backend starts the job.
///
/// The workers are this executable in its `clock-worker` role: each listens only after a delay and
/// prints the wall-clock time at which `listen` returned, so the moment of readiness is taken by
/// the worker itself, not by whoever reads its output. The job's start is `Run.startedAt`, which
/// the backend sets right after spawning the job. The delay is long enough that every worker has
/// been spawned and loaded before any of them listens, so only the readiness check is measured.
struct ReadinessLatencyBenchmark {
    var programs: Programs
    var workers = 32
    var repetitions = 5
    var listenAfterSeconds = 2.0
    /// The target in milliseconds.
    var maximumMilliseconds = 50.0

    enum Failure: Error, CustomStringConvertible {
        case runFailed(Run)
        case missingReadiness(found: Int, expected: Int)

        var description: String {
            switch self {
            case .runFailed(let run): "run \(run.id) ended \(run.status): \(run.statusReason ?? "")"
            case .missingReadiness(let found, let expected): "found \(found) of \(expected) worker readiness times in the logs"
            }
        }
    }

    func run() async throws -> Figure {
        try await withTemporaryLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            var latencies: [Double] = []
            for _ in 0..<repetitions {
                latencies.append(try await once(client))
            }
            let median = Statistics.median(latencies)
            let maximum = latencies.max() ?? .infinity
            return Figure(
                name: "local: job start after last endpoint ready, \(workers) workers",
                measured: "median \(formatMilliseconds(median)), max \(formatMilliseconds(maximum)) (\(repetitions) runs)",
                target: "≤ \(Int(maximumMilliseconds)) ms",
                judgedBy: "max \(formatMilliseconds(maximum))",
                passes: maximum <= maximumMilliseconds)
        }
    }

    private func once(_ client: TygerClient) async throws -> Double {
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(Codespec(image: "local", command: [programs.conformance.path], args: ["exit", "0"]))),
            worker: WorkerSpec(
                codespec: .inline(
                    Codespec(
                        kind: .worker, image: "local", command: [programs.benchmark.path],
                        args: [ChildRole.flag, "clock-worker", String(listenAfterSeconds)],
                        endpoints: [Endpoint(name: "rpc", port: 9002)])),
                replicas: workers))
        let created = try await client.createRun(spec)
        let final = try await client.waitUntilTerminal(created.id)
        guard final.status == .succeeded, let startedAt = final.startedAt else { throw Failure.runFailed(final) }
        var readyTimes: [Double] = []
        for try await line in client.logs(of: created.id) {
            // "clock-worker <index> listening-at <seconds since 1970>"
            let words = line.text.split(separator: " ")
            if words.count == 4, words[2] == "listening-at", let time = Double(words[3]) { readyTimes.append(time) }
        }
        guard readyTimes.count == workers, let lastReady = readyTimes.max() else {
            throw Failure.missingReadiness(found: readyTimes.count, expected: workers)
        }
        return (startedAt.timeIntervalSince1970 - lastReady) * 1_000
    }
}
