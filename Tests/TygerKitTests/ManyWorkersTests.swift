import Foundation
import Testing
@testable import TygerKit
import TygerKitTesting
import TygerTestSupport

/// Runs with more workers than one environment string can list.
@Suite struct ManyWorkersTests {
    // MARK: - Where the lists go

    private static func kubernetesHosts(_ count: Int) -> [String] {
        (0..<count).map { "run-12345-worker-\($0).run-12345-worker.tyger.svc.cluster.local" }
    }

    @Test func smallListsStayInline() {
        let endpoint = Endpoint(name: "rpc", port: 9002)
        let hosts = Self.kubernetesHosts(3)
        let discovery = DiscoveryVariables.jobDiscovery(
            hosts: hosts, ports: [(endpoint: endpoint, ports: [9002, 9002, 9002])])
        #expect(discovery.files.isEmpty)
        #expect(discovery.inline.map(\.name) == ["TYGER_WORKER_NODES", "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"])
        #expect(
            discovery.inline.map(\.value) == [
                #"["run-12345-worker-0.run-12345-worker.tyger.svc.cluster.local","run-12345-worker-1.run-12345-worker.tyger.svc.cluster.local","run-12345-worker-2.run-12345-worker.tyger.svc.cluster.local"]"#,
                #"["run-12345-worker-0.run-12345-worker.tyger.svc.cluster.local:9002","run-12345-worker-1.run-12345-worker.tyger.svc.cluster.local:9002","run-12345-worker-2.run-12345-worker.tyger.svc.cluster.local:9002"]"#,
            ])
    }

    /// 2,000 Kubernetes host names are about 120 KB: past the inline limit, so every list is a file
    /// and no inline variable is left that would make `exec` fail with E2BIG.
    @Test func longListsMoveToFiles() throws {
        let endpoints = [Endpoint(name: "rpc", port: 9002), Endpoint(name: "metrics", port: 9090)]
        let hosts = Self.kubernetesHosts(2_000)
        let discovery = DiscoveryVariables.jobDiscovery(
            hosts: hosts, ports: endpoints.map { (endpoint: $0, ports: Array(repeating: $0.port, count: hosts.count)) })
        #expect(discovery.inline.isEmpty)
        #expect(
            discovery.files.map(\.variable) == [
                "TYGER_WORKER_NODES", "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES", "TYGER_METRICS_WORKER_ENDPOINT_ADDRESSES",
            ])
        #expect(
            discovery.files.map(\.fileVariable) == [
                "TYGER_WORKER_NODES_FILE", "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES_FILE",
                "TYGER_METRICS_WORKER_ENDPOINT_ADDRESSES_FILE",
            ])
        #expect(try JSONDecoder().decode([String].self, from: Data(discovery.files[0].contents.utf8)) == hosts)
        #expect(discovery.files[0].contents.hasPrefix(#"["run-12345-worker-0.run-12345-worker.tyger.svc.cluster.local","#))
        let variables = discovery.variables { "/d/\($0.fileName)" }
        #expect(variables.map(\.name) == discovery.files.map(\.fileVariable))
        #expect(variables[0].value == "/d/TYGER_WORKER_NODES")
    }

    /// The limit is per list and in total: many endpoints whose lists each fit must still not
    /// add up to more than the environment can take.
    @Test func manyEndpointsMoveToFilesTogether() {
        let endpoints = (0..<10).map { Endpoint(name: "e\($0)", port: 9000 + $0) }
        let hosts = Self.kubernetesHosts(1_000)  // about 62 KB per address list
        let discovery = DiscoveryVariables.jobDiscovery(
            hosts: hosts, ports: endpoints.map { (endpoint: $0, ports: Array(repeating: $0.port, count: hosts.count)) })
        #expect(discovery.files.allSatisfy { $0.contents.utf8.count <= DiscoveryVariables.inlineLimit })
        #expect(discovery.inline.isEmpty)
        #expect(discovery.files.count == 11)
    }

    @Test func theLimitIsAdjustable() {
        let endpoint = Endpoint(name: "rpc", port: 9002)
        let discovery = DiscoveryVariables.jobDiscovery(
            hosts: ["127.0.0.1"], ports: [(endpoint: endpoint, ports: [40000])], inlineLimit: 10)
        #expect(discovery.inline.isEmpty)
        #expect(discovery.files.map(\.contents) == [#"["127.0.0.1"]"#, #"["127.0.0.1:40000"]"#])
    }

    // MARK: - Local backend

    private func withSuite(
        inlineLimit: Int? = nil,
        _ body: (BackendConformanceSuite, LocalBackend, ConformancePrograms) async throws -> Void
    ) async throws {
        try await withLocalBackend({ if let inlineLimit { $0.discoveryInlineLimit = inlineLimit } }) { backend in
            let suite = try localConformanceSuite(backend, runDeadline: .seconds(180))
            try await body(suite, backend, suite.programs)
        }
    }

    /// 256 worker processes and the job in one run on this machine; the job checks that
    /// every address answers from its own replica, in order.
    @Test(.timeLimit(.minutes(5))) func localRunWith256Workers() async throws {
        try await withSuite { suite, _, _ in try await suite.discoveryContract(replicas: 256) }
    }

    /// With the limit lowered, the job reads its lists from files in the run's folder through
    /// `TygerWorkerDiscovery`, without changing.
    @Test func localRunReadsListsFromFiles() async throws {
        try await withSuite(inlineLimit: 8) { suite, _, _ in try await suite.discoveryContract(replicas: 4) }
    }

    @Test func localRunSetsFileVariablesInsteadOfInlineOnes() async throws {
        try await withSuite(inlineLimit: 8) { _, backend, programs in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let names = [
                "TYGER_WORKER_NODES", "TYGER_WORKER_NODES_FILE", "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES",
                "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES_FILE",
            ]
            var spec = RunSpec(job: JobTarget(codespec: .inline(programs.codespec(.job, ["env"] + names))))
            spec.worker = WorkerSpec(
                codespec: .inline(programs.codespec(.worker, ["worker"], endpoints: [Endpoint(name: "rpc", port: 1)])),
                replicas: 2)
            let run = try await client.createRun(spec)
            let final = try await client.waitUntilTerminal(run.id)
            #expect(final.status == .succeeded, "\(final.statusReason ?? "")")
            var lines: [String] = []
            for try await line in client.logs(of: run.id) where line.source == .job(nil) { lines.append(line.text) }
            #expect(lines.contains("TYGER_WORKER_NODES unset"), "\(lines)")
            #expect(lines.contains("TYGER_RPC_WORKER_ENDPOINT_ADDRESSES unset"), "\(lines)")
            let folder = backend.store.folderURL(run.id).appendingPathComponent("discovery").standardizedFileURL.path
            let nodesPath = "\(folder)/TYGER_WORKER_NODES"
            let addressesPath = "\(folder)/TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"
            #expect(lines.contains("TYGER_WORKER_NODES_FILE=\(nodesPath)"), "\(lines)")
            #expect(lines.contains("TYGER_RPC_WORKER_ENDPOINT_ADDRESSES_FILE=\(addressesPath)"), "\(lines)")
            #expect(try String(contentsOfFile: nodesPath, encoding: .utf8) == #"["127.0.0.1","127.0.0.1"]"#)
            let addresses = try JSONDecoder().decode(
                [String].self, from: Data(contentsOf: URL(fileURLWithPath: addressesPath)))
            #expect(addresses.count == 2 && addresses.allSatisfy { $0.hasPrefix("127.0.0.1:") })
        }
    }
}
