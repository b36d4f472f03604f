import Foundation
import Logging
import TygerDocker
import TygerKit

/// Figures 7 and 8: create → job start of a container run with 8 workers, and its teardown,
/// against the same containers created, started, probed and removed with plain API calls in
/// the same benchmark run, on the engine `DOCKER_HOST` names (else the usual sockets).
///
/// Both sides do the same work: a network, 8 worker containers of `tyger-conformance worker`
/// (their starts in parallel), a wait until port 8080 of every worker accepts connections at
/// its address on the network, then the job's container. The clock stops when the job's
/// container has started: `Run.startedAt` for TygerKit, measured from just before
/// `TygerClient.createRun`, so the run record and the image check count too; the return of the
/// start call for the baseline. Teardown is measured from there (the job exits at once) to
/// the end with everything removed: `Run.finishedAt` for TygerKit, which also reads every
/// container's log to its end; for the baseline, waiting for the job, then stopping and
/// removing the containers and the network. The sides alternate, so other load falls on both.
struct ContainerStartBenchmark {
    var socket: EngineSocket
    var workers = 8
    var repetitions = 7
    var maximumRatio = 1.2
    var image = "tygerkit/conformance:dev"

    enum Failure: Error, CustomStringConvertible {
        case runFailed(Run)
        case portsNeverReady(Int)
        case noAddress(String)

        var description: String {
            switch self {
            case .runFailed(let run): "run \(run.id) ended \(run.status): \(run.statusReason ?? "")"
            case .portsNeverReady(let count): "\(count) baseline workers never accepted connections"
            case .noAddress(let id): "baseline container \(id) has no address"
            }
        }
    }

    struct Measurement {
        var start: Double
        var teardown: Double
    }

    func run() async throws -> [Figure] {
        let directory = FileManager.default.temporaryDirectory.appending(path: "tyger-benchmarks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = DockerBackend.Configuration()
        configuration.socket = socket
        configuration.directory = directory
        configuration.gracePeriod = .seconds(5)
        if ProcessInfo.processInfo.environment["TYGER_BENCH_DEBUG"] != nil {
            configuration.logger = Logger(label: "bench") { StreamLogHandler.standardError(label: $0) }
            configuration.logger.logLevel = .debug
        }
        let engine = EngineClient(socket: socket, logger: Logger(label: "tyger-benchmarks"))
        await removeBaselineLeftovers(engine)
        let result = try await DockerBackend.withBackend(configuration: configuration) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            var tygerKit: [Measurement] = []
            var baseline: [Measurement] = []
            // One untimed round of each first: the image's layers in the page cache.
            _ = try await tygerKitOnce(client)
            _ = try await baselineOnce(engine, round: 0)
            for round in 1...repetitions {
                tygerKit.append(try await tygerKitOnce(client))
                baseline.append(try await baselineOnce(engine, round: round))
            }
            return (tygerKit, baseline)
        }
        await removeBaselineLeftovers(engine)
        await engine.shutdown()
        let (tygerKit, baseline) = result
        func figure(_ name: String, _ key: KeyPath<Measurement, Double>, ratio maximum: Double) -> Figure {
            let ours = Statistics.median(tygerKit.map { $0[keyPath: key] })
            let theirs = Statistics.median(baseline.map { $0[keyPath: key] })
            return Figure(
                name: name,
                measured: "TygerKit \(formatMilliseconds(ours)), baseline \(formatMilliseconds(theirs)) (medians of \(repetitions))",
                target: "ratio ≤ \(maximum)", judgedBy: String(format: "ratio %.2f", ours / theirs), passes: ours / theirs <= maximum)
        }
        return [
            figure("containers: create → job start, \(workers) workers", \.start, ratio: maximumRatio),
            figure("containers: teardown, \(workers) workers", \.teardown, ratio: 1.5),
        ]
    }

    private var spec: RunSpec {
        RunSpec(
            job: JobTarget(codespec: .inline(Codespec(image: image, command: ["tyger-conformance"], args: ["exit", "0"]))),
            worker: WorkerSpec(
                codespec: .inline(
                    Codespec(
                        kind: .worker, image: image, command: ["tyger-conformance"], args: ["worker"],
                        endpoints: [Endpoint(name: "rpc", port: 8080)])),
                replicas: workers))
    }

    private func tygerKitOnce(_ client: TygerClient) async throws -> Measurement {
        let start = Date()
        let created = try await client.createRun(spec)
        let final = try await client.waitUntilTerminal(created.id)
        guard final.status == .succeeded, let startedAt = final.startedAt, let finishedAt = final.finishedAt else {
            throw Failure.runFailed(final)
        }
        return Measurement(
            start: startedAt.timeIntervalSince(start) * 1_000, teardown: finishedAt.timeIntervalSince(startedAt) * 1_000)
    }

    /// The same containers with plain API calls.
    private func baselineOnce(_ engine: EngineClient, round: Int) async throws -> Measurement {
        let network = "tyger-benchmark-baseline-\(getpid())-\(round)"
        let labels = ["tyger-benchmark": "baseline"]
        let start = Date()
        _ = try await engine.raw("POST", "/networks/create", json: json(["Name": network, "Labels": labels]))
        let hosts = (0..<workers).map { "worker-\($0)" }
        func create(_ name: String, _ host: String, _ arguments: [String], _ environment: [String]) async throws -> String {
            let body: [String: Any] = [
                "Image": image, "Hostname": host, "Entrypoint": ["tyger-conformance"], "Cmd": arguments,
                "Env": environment, "Labels": labels, "ExposedPorts": ["8080/tcp": [String: String]()],
                "HostConfig": ["NetworkMode": network, "Init": true],
                "NetworkingConfig": ["EndpointsConfig": [network: ["Aliases": [host]]]],
            ]
            let answer = try await engine.raw("POST", "/containers/create", query: [("name", "\(network)-\(host)")], json: json(body))
            let id = try JSONSerialization.jsonObject(with: answer) as? [String: Any]
            return id?["Id"] as? String ?? ""
        }
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for (index, host) in hosts.enumerated() {
                group.addTask {
                    let id = try await create(host, host, ["worker"], [
                        "TYGER_RUN_ID=baseline", "TYGER_WORKER_INDEX=\(index)", "TYGER_RPC_ENDPOINT_PORT=8080",
                    ])
                    _ = try await engine.raw("POST", "/containers/\(id)/start")
                    return id
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var addresses: [(container: String, gateway: String)] = []
        for id in ids {
            let inspected = try JSONSerialization.jsonObject(with: try await engine.raw("GET", "/containers/\(id)/json"))
            let networks = ((inspected as? [String: Any])?["NetworkSettings"] as? [String: Any])?["Networks"] as? [String: Any]
            let settings = networks?[network] as? [String: Any]
            guard let address = settings?["IPAddress"] as? String, let gateway = settings?["Gateway"] as? String else {
                throw Failure.noAddress(id)
            }
            addresses.append((address, gateway))
        }
        var pending = addresses
        let giveUp = ContinuousClock.now + .seconds(30)
        while !pending.isEmpty {
            pending.removeAll { EndpointProbe.accepts(host: $0.container, port: 8080, from: $0.gateway) }
            guard ContinuousClock.now < giveUp else { throw Failure.portsNeverReady(pending.count) }
            if !pending.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        let job = try await create("job", "job", ["exit", "0"], [
            "TYGER_RUN_ID=baseline", "TYGER_WORKER_NODES=\(jsonArray(hosts))",
            "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES=\(jsonArray(hosts.map { "\($0):8080" }))",
        ])
        _ = try await engine.raw("POST", "/containers/\(job)/start")
        let started = Date()
        _ = try await engine.raw("POST", "/containers/\(job)/wait")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids + [job] {
                group.addTask {
                    _ = try await engine.raw("POST", "/containers/\(id)/stop", query: [("t", "5")], accepting: [304])
                    _ = try await engine.raw("DELETE", "/containers/\(id)", query: [("force", "1")])
                }
            }
            try await group.waitForAll()
        }
        _ = try await engine.raw("DELETE", "/networks/\(network)")
        return Measurement(
            start: started.timeIntervalSince(start) * 1_000, teardown: Date().timeIntervalSince(started) * 1_000)
    }

    /// Removes what an interrupted baseline round left (it has no supervisor to do so).
    private func removeBaselineLeftovers(_ engine: EngineClient) async {
        let filter = [("filters", #"{"label":["tyger-benchmark=baseline"]}"#)]
        let ids = { (data: Data?) in
            ((data.flatMap { try? JSONSerialization.jsonObject(with: $0) }) as? [[String: Any]] ?? []).compactMap { $0["Id"] as? String }
        }
        for id in ids(try? await engine.raw("GET", "/containers/json", query: filter + [("all", "1")])) {
            _ = try? await engine.raw("DELETE", "/containers/\(id)", query: [("force", "1")])
        }
        for id in ids(try? await engine.raw("GET", "/networks", query: filter)) {
            _ = try? await engine.raw("DELETE", "/networks/\(id)")
        }
    }

    private func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }
}
