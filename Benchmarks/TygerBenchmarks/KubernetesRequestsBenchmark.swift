import Foundation
import TygerKit
import TygerKubernetes
import TygerKubernetesTesting

/// Figure 5: the Kubernetes API requests one run makes, by verb, for 1, 10 and 1,000 workers,
/// counted by the loopback test API server.
///
/// Submitting must make the same requests whatever the replica count (one StatefulSet, one
/// Service, one Job; never an object per replica); following the run to its end may differ only
/// in reads that depend on timing, not on workers, so the judgement is: writes equal to the
/// 1-worker run, and reads within the bounds `RequestCountTests` documents (GET ≤ 18, WATCH ≤ 8).
struct KubernetesRequestsBenchmark {
    var workerCounts = [1, 10, 1_000]

    /// Requests by verb, with watches counted apart from other GETs.
    typealias Counts = [String: Int]

    struct Measurement {
        var workers: Int
        var submit: Counts
        var follow: Counts
    }

    enum Failure: Error, CustomStringConvertible {
        case runFailed(Run)

        var description: String {
            switch self {
            case .runFailed(let run): "run \(run.id) ended \(run.status): \(run.statusReason ?? "")"
            }
        }
    }

    func run() async throws -> (figure: Figure, measurements: [Measurement]) {
        let measurements = try await withKubernetesTestServer { server in
            let kubernetes = KubernetesConfiguration(server: server.baseURL, namespace: "tyger")
            var configuration = KubernetesBackend.Configuration()
            configuration.stopTimeout = .seconds(20)
            return try await KubernetesBackend.withBackend(kubernetes: kubernetes, configuration: configuration) { backend in
                let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
                // The namespace's first run also creates the run counter; count later ones.
                _ = try await client.waitUntilTerminal(try await client.createRun(spec(workers: 1)).id)
                var measurements: [Measurement] = []
                for workers in workerCounts {
                    server.clearRequests()
                    let created = try await client.createRun(spec(workers: workers))
                    let submit = Self.counts(server.requests)
                    server.clearRequests()
                    let final = try await client.waitUntilTerminal(created.id)
                    guard final.status == .succeeded else { throw Failure.runFailed(final) }
                    measurements.append(Measurement(workers: workers, submit: submit, follow: Self.counts(server.requests)))
                }
                return measurements
            }
        }
        return (judge(measurements), measurements)
    }

    private func judge(_ measurements: [Measurement]) -> Figure {
        let reference = measurements[0]
        let writes: (Counts) -> Counts = { $0.filter { ["POST", "PUT", "PATCH", "DELETE"].contains($0.key) } }
        let passes = measurements.allSatisfy { measurement in
            measurement.submit == reference.submit
                && writes(measurement.follow) == writes(reference.follow)
                && measurement.follow["GET", default: 0] <= 18 && measurement.follow["WATCH", default: 0] <= 8
        }
        let totals = measurements.map { "\($0.workers): \(total($0.submit)) + \(total($0.follow))" }.joined(separator: ", ")
        let largest = measurements[measurements.count - 1]
        let ratio = Double(total(largest.submit) + total(largest.follow)) / Double(total(reference.submit) + total(reference.follow))
        return Figure(
            name: "kubernetes: API requests per run (submit + follow)",
            measured: "workers \(totals)",
            target: "no growth with workers",
            judgedBy: String(format: "ratio %d/%d workers %.2f", largest.workers, reference.workers, ratio),
            passes: passes)
    }

    private func total(_ counts: Counts) -> Int { counts.values.reduce(0, +) }

    private static func counts(_ requests: [RecordedRequest]) -> Counts {
        requests.reduce(into: [:]) { counts, request in
            counts[request.isWatch ? "WATCH" : request.method, default: 0] += 1
        }
    }

    /// The conformance run the tests use: the job finds and calls every worker.
    private func spec(workers: Int) -> RunSpec {
        RunSpec(
            job: JobTarget(
                codespec: .inline(Codespec(image: "c", command: ["tyger-conformance"], args: ["job-discovery", "rpc"]))),
            worker: WorkerSpec(
                codespec: .inline(
                    Codespec(
                        kind: .worker, image: "c", command: ["tyger-conformance"], args: ["worker"],
                        endpoints: [Endpoint(name: "rpc", port: 9002)])),
                replicas: workers))
    }

    /// `GET 1, POST 4, PUT 1`, verbs in a fixed order.
    static func format(_ counts: Counts) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }
}
