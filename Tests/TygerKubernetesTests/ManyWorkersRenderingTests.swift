import Foundation
import Testing
import TygerKit
import TygerKubernetes
import TygerKubernetesTesting
import TygerWorkerDiscovery

/// Runs with more workers than one environment string can list: their discovery lists go to
/// ConfigMaps mounted in the job container .
@Suite struct ManyWorkersRenderingTests {
    static func run(
        replicas: Int,
        endpoints: [Endpoint] = [Endpoint(name: "gadgetron", port: 9002), Endpoint(name: "rpc_Control", port: 7000)]
    )
        -> ResolvedRunSpec
    {
        let job = Codespec(
            image: "tyger-conformance:test", command: ["tyger-conformance"], args: ["job-discovery", "gadgetron"])
        let worker = Codespec(
            kind: .worker, image: "tyger-conformance:test", command: ["tyger-conformance"], args: ["worker"],
            endpoints: endpoints)
        let spec = RunSpec(
            job: JobTarget(codespec: .inline(job)), worker: WorkerSpec(codespec: .inline(worker), replicas: replicas))
        return fixture { try ResolvedRunSpec(spec: spec, jobCodespec: job, workerCodespec: worker) }
    }

    /// The files of the rendered ConfigMaps written under `root` as the kubelet would mount them,
    /// and the job's environment with the mount paths pointing there.
    static func materialize(_ rendered: RenderedRun, under root: URL) throws -> [String: String] {
        let container = try #require(rendered.jobContainer)
        let volumes = rendered.job.spec?.template.spec?.volumes ?? []
        for mount in container.volumeMounts ?? [] {
            let volume = try #require(volumes.first { $0.name == mount.name })
            let map = try #require(rendered.discoveryConfigMaps.first { $0.metadata.name == volume.configMap?.name })
            let directory = root.appendingPathComponent(String(mount.mountPath.dropFirst()), isDirectory: true)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for (key, value) in map.data ?? [:] {
                try Data(value.utf8).write(to: directory.appendingPathComponent(key))
            }
        }
        var environment: [String: String] = [:]
        for variable in container.env ?? [] {
            guard let value = variable.value else { continue }
            environment[variable.name] =
                variable.name.hasSuffix("_FILE") ? root.path + value : value
        }
        return environment
    }

    @Test func tenThousandWorkersRenderWithTheirListsInConfigMaps() throws {
        let replicas = 10_000
        let rendered = try RunRenderer.render(runID: runID(12345), run: Self.run(replicas: replicas), namespace: "tyger")
        let container = try #require(rendered.jobContainer)

        // One ConfigMap per list: nodes, then each endpoint; none near the 1 MiB limit.
        #expect(
            rendered.discoveryConfigMaps.map(\.metadata.name) == [
                "run-12345-discovery-0", "run-12345-discovery-1", "run-12345-discovery-2",
            ])
        for map in rendered.discoveryConfigMaps {
            let size = (map.data ?? [:]).reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
            #expect(size > DiscoveryVariables.inlineLimit && size < RunRenderer.configMapDataLimit, "\(size)")
            #expect(map.metadata.namespace == "tyger")
            #expect(map.metadata.labels?["tyger.dev/run"] == "12345")
            for key in (map.data ?? [:]).keys {
                #expect(
                    key.utf8.count <= 253
                        && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) })
            }
            #expect(KubernetesNameRules.isDNS1123Subdomain(map.metadata.name ?? ""))
        }
        #expect(container.env("TYGER_WORKER_NODES") == nil)
        #expect(container.env("TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES") == nil)
        #expect(container.env("TYGER_WORKER_NODES_FILE") == "/etc/tyger/discovery/0/TYGER_WORKER_NODES")
        #expect(
            container.env("TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES_FILE")
                == "/etc/tyger/discovery/1/TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES")
        #expect(
            container.env("TYGER_RPC_CONTROL_WORKER_ENDPOINT_ADDRESSES_FILE")
                == "/etc/tyger/discovery/2/TYGER_RPC_CONTROL_WORKER_ENDPOINT_ADDRESSES")
        #expect(container.volumeMounts?.allSatisfy { $0.readOnly == true } == true)
        // The Job stays small: no list in its pod template.
        let jobSize = try JSONEncoder().encode(rendered.job).count
        #expect(jobSize < 16 * 1024, "\(jobSize)")
        #expect(rendered.workerStatefulSet?.spec?.replicas == replicas)

        // Creation order and ownership.
        #expect(rendered.all.map(\.kind) == ["Job", "ConfigMap", "ConfigMap", "ConfigMap", "Service", "StatefulSet"])
        let owned = rendered.withOwner(jobUID: "0f6c2f1e-8a59-4c1e-9d0b-5b3d3c1f0a42")
        #expect(owned.discoveryConfigMaps.allSatisfy { $0.metadata.ownerReferences?.first?.name == "run-12345-job" })
        #expect(KubernetesObjectRules.problems(in: rendered) == [])
    }

    @Test func tenThousandWorkersMatchTheStrictSchemas() throws {
        let validators = try KubernetesSchemas.validators()
        let rendered = try RunRenderer.render(runID: runID(12345), run: Self.run(replicas: 10_000), namespace: "tyger")
        for variant in [rendered, rendered.withOwner(jobUID: "0f6c2f1e-8a59-4c1e-9d0b-5b3d3c1f0a42")] {
            for object in variant.all {
                let file = try KubernetesSchemas.file(apiVersion: object.apiVersion, kind: object.kind)
                for (version, validator) in validators {
                    let errors = try validator.errors(encoding: object, schemaFile: file)
                    #expect(errors.isEmpty, "Kubernetes \(version) rejects the \(object.kind): \(errors)")
                }
            }
        }
    }

    /// The files, as mounted, give `TygerWorkerDiscovery` all 10,000 endpoints in replica order.
    @Test func tenThousandWorkersAreDiscoveredFromTheFiles() throws {
        let replicas = 10_000
        let rendered = try RunRenderer.render(runID: runID(12345), run: Self.run(replicas: replicas), namespace: "tyger")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tyger-discovery-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let environment = try Self.materialize(rendered, under: root)

        let names = RunObjectNames(runID: runID(12345))
        let endpoints = try WorkerDiscovery.endpoints("gadgetron", environment: environment)
        #expect(endpoints.count == replicas)
        #expect(endpoints.map(\.host) == (0..<replicas).map { names.workerHost($0, namespace: "tyger") })
        #expect(endpoints.allSatisfy { $0.port == 9002 })
        let control = try WorkerDiscovery.endpoints("rpc_Control", environment: environment)
        #expect(control.count == replicas && control.allSatisfy { $0.port == 7000 })
        #expect(try WorkerDiscovery.nodes(environment: environment) == endpoints.map(\.host))
    }

    /// The object count does not grow with the replicas: lists move to a fixed number of
    /// ConfigMaps, one per list.
    @Test func theObjectCountIsConstantInTheReplicas() throws {
        let inline = try [1, 10, 1_000].map {
            try RunRenderer.render(runID: runID(9), run: Self.run(replicas: $0), namespace: "tyger").all.count
        }
        #expect(inline == [3, 3, 3])
        let files = try [2_000, 10_000, 15_000].map {
            try RunRenderer.render(runID: runID(9), run: Self.run(replicas: $0), namespace: "tyger").all.count
        }
        #expect(files == [6, 6, 6])
    }

    /// A list longer than a ConfigMap can hold is a clear error, not an object the API server rejects.
    @Test func aListBeyondOneConfigMapIsRejected() throws {
        #expect {
            _ = try RunRenderer.render(runID: runID(9), run: Self.run(replicas: 20_000), namespace: "tyger")
        } throws: { error in
            let error = error as? TygerError
            return error?.code == .invalidSpec && error?.message.contains("too many workers") == true
        }
    }

    /// On the test API server, the simulated kubelet reads the lists from the ConfigMap volumes:
    /// created in the order the backend uses (Job, then its owned ConfigMaps, Service and
    /// StatefulSet), the job discovers every worker.
    @Test func theSimulatedJobReadsItsListsFromTheConfigMaps() async throws {
        var options = KubernetesRenderOptions()
        options.discoveryInlineLimit = 8
        let rendered = try RunRenderer.render(runID: runID(77), run: Self.run(replicas: 3), namespace: "tyger", options: options)
        #expect(rendered.discoveryConfigMaps.count == 3)
        try await withKubernetesTestServer { server in
            let client = try KubernetesClient(
                configuration: KubernetesConfiguration(server: server.baseURL, namespace: "tyger"))
            let job = try await client.create(.jobs, object: rendered.job, namespace: "tyger")
            let owned = rendered.withOwner(jobUID: try #require(job.metadata.uid))
            for map in owned.discoveryConfigMaps {
                _ = try await client.create(.configMaps, object: map, namespace: "tyger")
            }
            _ = try await client.create(.services, object: try #require(owned.workerService), namespace: "tyger")
            _ = try await client.create(
                .statefulSets, object: try #require(owned.workerStatefulSet), namespace: "tyger")
            try await client.shutdown()
            try await server.waitUntil(timeout: .seconds(60), "the job finishes") { server in
                let status = server.object("jobs", namespace: "tyger", name: "run-77-job")?["status"]
                return (status?["succeeded"]?.intValue ?? 0) > 0 || (status?["failed"]?.intValue ?? 0) > 0
            }
            let pod = try #require(
                server.objects("pods", namespace: "tyger").first {
                    $0[path: ["metadata", "labels", "tyger.dev/role"]]?.stringValue == "job"
                })
            let log = server.podLog(pod: pod.name, container: "main")
            let status = server.object("jobs", namespace: "tyger", name: "run-77-job")?["status"]
            #expect(status?["succeeded"]?.intValue == 1, "\(log)")
            #expect(log.contains { $0.contains(#""replicas":3"#) }, "\(log)")
        }
    }
}
