import Foundation
import Testing
import TygerKit
import TygerKitTesting
import TygerKubernetes
import TygerKubernetesTesting
import TygerTestSupport

/// Runs a body with a Kubernetes backend talking to a fresh test API server.
func withKubernetesBackend<Result: Sendable>(
    _ body: (KubernetesBackend, KubernetesTestServer) async throws -> Result
) async throws -> Result {
    try await withKubernetesTestServer { server in
        let kubernetes = KubernetesConfiguration(server: server.baseURL, namespace: "tyger")
        var configuration = KubernetesBackend.Configuration()
        configuration.stopTimeout = .seconds(20)
        return try await KubernetesBackend.withBackend(kubernetes: kubernetes, configuration: configuration) { backend in
            try await body(backend, server)
        }
    }
}

/// The Kubernetes backend against the conformance suite every backend passes, on the test API
/// server whose simulated kubelet runs the `tyger-conformance` programs.
@Suite struct KubernetesBackendConformanceTests {
    private func withSuite(_ body: (BackendConformanceSuite) async throws -> Void) async throws {
        try await withKubernetesBackend { backend, server in
            let suite = BackendConformanceSuite(
                backend: backend, programs: .image("tyger-conformance:test"), runDeadline: .seconds(30)
            ) { run, _ in
                server.objects("pods", namespace: "tyger").compactMap { pod -> String? in
                    guard pod["metadata"]?["labels"]?["tyger.dev/run"]?.stringValue == run.id.description else { return nil }
                    let phase = pod["status"]?["phase"]?.stringValue ?? "Pending"
                    guard phase != "Succeeded", phase != "Failed" else { return nil }
                    return "pod \(pod["metadata"]?["name"]?.stringValue ?? "?") (\(phase))"
                }
                    + server.objects("statefulsets", namespace: "tyger").compactMap { sts in
                        sts["metadata"]?["labels"]?["tyger.dev/run"]?.stringValue == run.id.description
                            ? "statefulset \(sts["metadata"]?["name"]?.stringValue ?? "?")" : nil
                    }
            }
            try await body(suite)
        }
    }

    @Test(arguments: BackendConformanceCheck.allCases)
    func conformance(_ check: BackendConformanceCheck) async throws {
        try await withSuite { try await $0.run(check) }
    }
}

/// What only the Kubernetes backend does.
@Suite struct KubernetesBackendTests {
    private func run(workers: Int, job: [String] = ["job-discovery", "rpc"]) -> RunSpec {
        var spec = RunSpec(
            job: JobTarget(codespec: .inline(Codespec(image: "tyger-conformance:test", command: ["tyger-conformance"], args: job))))
        if workers > 0 {
            spec.worker = WorkerSpec(
                codespec: .inline(
                    Codespec(
                        kind: .worker, image: "tyger-conformance:test", command: ["tyger-conformance"], args: ["worker"],
                        endpoints: [Endpoint(name: "rpc", port: 9002)])),
                replicas: workers)
        }
        return spec
    }

    /// The API write requests a run makes do not grow with its replicas.
    @Test(arguments: [1, 10, 1_000])
    func writeRequestsPerRunDoNotGrowWithReplicas(_ workers: Int) async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            server.clearRequests()
            _ = try await client.createRun(run(workers: workers, job: ["exit", "0"]))
            let writes = server.requests.filter(\.isWrite)
            #expect(writes.count == 5, "\(writes)")
            #expect(Set(writes.map(\.method)) == ["PUT", "POST"] || Set(writes.map(\.method)) == ["POST"], "\(writes)")
        }
    }

    @Test func theRunRecordKeepsTheResultAfterTheJobIsGone() async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let created = try await client.createRun(run(workers: 2, job: ["exit", "4"]))
            let final = try await client.waitUntilTerminal(created.id)
            #expect(final.statusReason == "Main exited with code 4")
            #expect(server.objects("statefulsets", namespace: "tyger").isEmpty, "the workers were removed")
            try server.delete("jobs", name: "run-\(created.id)-job")
            let shown = try await client.run(id: created.id)
            #expect(shown.status == .failed)
            #expect(shown.statusReason == "Main exited with code 4")
            let runs = try await client.runs()
            #expect(runs.map(\.id) == [created.id])
            let missing = await #expect(throws: TygerError.self) { _ = try await client.run(id: runID(77)) }
            #expect(missing?.code == .runNotFound)
        }
    }

    @Test func runIDsAreSequential() async throws {
        try await withKubernetesBackend { backend, _ in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            var ids: [Int] = []
            for _ in 0..<3 { ids.append(try await client.createRun(run(workers: 0, job: ["exit", "0"])).id.value) }
            #expect(ids == [1, 2, 3])
        }
    }

    @Test func imagesAreRequired() async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let spec = RunSpec(job: JobTarget(codespec: .inline(Codespec(command: ["x"]))))
            let error = await #expect(throws: TygerError.self) { _ = try await client.createRun(spec) }
            #expect(error?.location?.keyPath == "job.codespec.image")
            #expect(server.requests.filter(\.isWrite).isEmpty)
        }
    }

    /// Faults on the way: throttling, server errors, dropped watches, an expired watch
    /// history. The run still reaches the right status and nothing is left running.
    @Test func theRunSurvivesAPIFaults() async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            server.faults.inject(.status(429, retryAfterSeconds: 1), matching: .init(method: .POST, pathContains: "/jobs"), times: 1)
            server.faults.inject(.status(503), matching: .init(method: .POST, pathContains: "/statefulsets"), times: 2)
            server.faults.inject(.status(500), matching: .init(method: .GET, pathContains: "/configmaps/run-"), times: 1)
            let created = try await client.createRun(run(workers: 3, job: ["sleep", "2"]))
            let follower = Task { try await client.waitUntilTerminal(created.id) }
            try await server.waitUntil(timeout: .seconds(20), "the job running") { server in
                server.objects("pods", namespace: "tyger").contains {
                    $0["metadata"]?["labels"]?["tyger.dev/role"]?.stringValue == "job"
                        && $0["status"]?["phase"]?.stringValue == "Running"
                }
            }
            let watchesBefore = server.requests.count(where: \.isWatch)
            server.faults.expireHistory()
            server.faults.dropWatches()
            let resumed = try await eventually { server.requests.count(where: \.isWatch) > watchesBefore }
            #expect(resumed, "the followers watch again after their watches were dropped")
            server.faults.dropWatches()
            let final = try await follower.value
            #expect(final.status == .succeeded, "\(final.statusReason ?? "")")
            #expect(server.objects("statefulsets", namespace: "tyger").isEmpty)
            #expect(server.requests.contains { $0.statusCode == 429 })
            #expect(server.requests.contains { $0.statusCode == 503 })
        }
    }

    @Test func codespecsAreSharedThroughConfigMaps() async throws {
        try await withKubernetesBackend { backend, _ in
            let store = backend.codespecStore
            let a = Codespec(name: "my_codespec", image: "i", command: ["a"])
            let b = Codespec(name: "my_codespec", image: "i", command: ["b"])
            #expect(try await store.create(a).version == 1)
            #expect(try await store.create(b).version == 2)
            #expect(try await store.create(a).version == 3)
            #expect(try await store.create(a).version == 3)
            #expect(try await store.codespec(named: "my_codespec", version: 2).command == ["b"])
            let missing = await #expect(throws: TygerError.self) { _ = try await store.codespec(named: "my_codespec", version: 9) }
            #expect(missing?.message == "The version '9' of codespec 'my_codespec' was not found. The latest version is '3'.")
            _ = try await store.create(Codespec(name: "other", image: "i", command: ["x"]))
            #expect(try await store.latestCodespecs().map(\.name) == ["my_codespec", "other"])
        }
    }

    @Test func concurrentCreatorsOnTheClusterNeverShareAVersion() async throws {
        try await withKubernetesBackend { backend, _ in
            let store = backend.codespecStore
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await store.create(Codespec(name: "race", image: "i", command: ["c\(index)"])).version ?? 0
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...8))
        }
    }
}

/// Discovery lists too long for one environment string reach the job as files from ConfigMaps.
@Suite struct KubernetesDiscoveryFileTests {
    @Test func listsBeyondTheInlineLimitArriveAsFiles() async throws {
        try await withKubernetesTestServer { server in
            var configuration = KubernetesBackend.Configuration()
            configuration.render.discoveryInlineLimit = 8
            configuration.stopTimeout = .seconds(20)
            let kubernetes = KubernetesConfiguration(server: server.baseURL, namespace: "tyger")
            try await KubernetesBackend.withBackend(kubernetes: kubernetes, configuration: configuration) { backend in
                let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
                let spec = RunSpec(
                    job: JobTarget(
                        codespec: .inline(
                            Codespec(
                                image: "c", command: ["tyger-conformance"],
                                args: ["job-discovery", "rpc", "--expect-replicas", "3"]))),
                    worker: WorkerSpec(
                        codespec: .inline(
                            Codespec(
                                kind: .worker, image: "c", command: ["tyger-conformance"], args: ["worker"],
                                endpoints: [Endpoint(name: "rpc", port: 9002)])),
                        replicas: 3))
                let created = try await client.createRun(spec)
                let final = try await client.waitUntilTerminal(created.id)
                #expect(final.status == .succeeded, "\(final.statusReason ?? "")")
                let names = server.objects("configmaps", namespace: "tyger").compactMap { $0["metadata"]?["name"]?.stringValue }
                #expect(names.contains("run-\(created.id)-discovery-0"), "\(names)")
            }
        }
    }
}
