import Foundation
import Testing
import TygerKit
import TygerKubernetes
import Yams

/// What a run becomes: names, labels, the distributed-run environment contract, placement,
/// resources, and the shape of the Job, Service and StatefulSet.
@Suite struct RenderingTests {
    // MARK: - The discovery contract

    @Test func theJobGetsSPECExampleAddressesExactly() throws {
        let rendered = try RenderFixtures.specExample.render()
        let env = try #require(rendered.jobContainer?.env)
        #expect(
            env == [
                EnvVar(name: "TYGER_RUN_ID", value: "42"),
                EnvVar(
                    name: "TYGER_WORKER_NODES",
                    value:
                        #"["run-42-worker-0.run-42-worker.tyger.svc.cluster.local","run-42-worker-1.run-42-worker.tyger.svc.cluster.local"]"#
                ),
                EnvVar(
                    name: "TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES",
                    value:
                        #"["run-42-worker-0.run-42-worker.tyger.svc.cluster.local:9002","run-42-worker-1.run-42-worker.tyger.svc.cluster.local:9002"]"#
                ),
            ])
    }

    @Test func everyWorkerLearnsItsIndexAndPorts() throws {
        let rendered = try RenderFixtures.distributed.render()
        let env = try #require(rendered.workerContainer?.env)
        #expect(
            env == [
                EnvVar(name: "TYGER_RUN_ID", value: "1234"),
                EnvVar(name: "TYGER_WORKER_INDEX", fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']"),
                EnvVar(name: "TYGER_GADGETRON_ENDPOINT_PORT", value: "9002"),
                EnvVar(name: "TYGER_RPC_CONTROL_ENDPOINT_PORT", value: "7000"),
                EnvVar(name: "LOG_LEVEL", value: "debug"),
            ])
        // The job sees every replica on the declared ports, replica order, endpoint order.
        let job = try #require(rendered.jobContainer)
        let hosts = (0..<3).map { "run-1234-worker-\($0).run-1234-worker.tyger.svc.cluster.local" }
        #expect(job.env("TYGER_WORKER_NODES") == "[" + hosts.map { "\"\($0)\"" }.joined(separator: ",") + "]")
        #expect(
            job.env("TYGER_RPC_CONTROL_WORKER_ENDPOINT_ADDRESSES") == "["
                + hosts.map { "\"\($0):7000\"" }.joined(separator: ",") + "]")
        #expect(
            job.envNames.prefix(4) == [
                "TYGER_RUN_ID", "TYGER_WORKER_NODES", "TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES",
                "TYGER_RPC_CONTROL_WORKER_ENDPOINT_ADDRESSES",
            ])
        // Workers get nothing of the job's, the job nothing of the workers'.
        #expect(!job.envNames.contains("TYGER_WORKER_INDEX"))
        #expect(!(rendered.workerContainer?.envNames.contains("TYGER_WORKER_NODES") ?? true))
    }

    @Test func theWorkerIndexComesFromThePodIndexLabelOfEachPod() throws {
        let rendered = try RenderFixtures.specExample.render()
        let index = try #require(rendered.workerContainer?.env?.first { $0.name == "TYGER_WORKER_INDEX" })
        #expect(index.value == nil)
        #expect(index.valueFrom?.fieldRef?.fieldPath == "metadata.labels['apps.kubernetes.io/pod-index']")
    }

    @Test func aRunWithoutWorkersGetsOnlyItsRunID() throws {
        let rendered = try RenderFixtures.jobOnly.render()
        #expect(
            rendered.jobContainer?.env == [
                EnvVar(name: "TYGER_RUN_ID", value: "7"), EnvVar(name: "GREETING", value: "hi"),
            ])
        #expect(rendered.job.spec?.template.spec?.initContainers == nil)
    }

    /// Codespec variables follow the injected ones, sorted by name (as on the local backend),
    /// so `$(TYGER_RUN_ID)` in them expands; expanding them as the kubelet does gives the run's values.
    @Test func codespecVariablesComeAfterTheContractsAndMayReferToThem() throws {
        let rendered = try RenderFixtures.distributed.render()
        let container = try #require(rendered.jobContainer)
        #expect(Array(container.envNames.suffix(4)) == ["ALPHA", "DERIVED", "YES_NO", "ZETA"])
        let expanded = EnvironmentExpansion.environment(
            base: [:],
            entries: (container.env ?? []).compactMap { variable in variable.value.map { (variable.name, $0) } })
        #expect(expanded["DERIVED"] == "run-1234")
    }

    /// A codespec that sets a contract variable does not override it: Kubernetes would let
    /// the later duplicate win, so the renderer leaves the codespec's out.
    @Test func theContractWinsOverACodespecThatSetsTheSameVariable() throws {
        var fixture = RenderFixtures.specExample
        fixture.run = try fixture.run.changing(
            job: { $0.env = ["TYGER_RUN_ID": "mine", "TYGER_WORKER_NODES": "[]", "OTHER": "kept"] },
            worker: { $0.env = ["TYGER_WORKER_INDEX": "9", "TYGER_GADGETRON_ENDPOINT_PORT": "1"] })
        let rendered = try fixture.render()
        let job = try #require(rendered.jobContainer)
        #expect(
            job.envNames == [
                "TYGER_RUN_ID", "TYGER_WORKER_NODES", "TYGER_GADGETRON_WORKER_ENDPOINT_ADDRESSES", "OTHER",
            ])
        #expect(job.env("TYGER_RUN_ID") == "42")
        let worker = try #require(rendered.workerContainer)
        #expect(worker.envNames == ["TYGER_RUN_ID", "TYGER_WORKER_INDEX", "TYGER_GADGETRON_ENDPOINT_PORT"])
        #expect(worker.env("TYGER_GADGETRON_ENDPOINT_PORT") == "9002")
    }

    // MARK: - Objects

    @Test func namesLabelsAndNamespaceFollowTheRunID() throws {
        var fixture = RenderFixtures.specExample
        fixture.namespace = "research"
        let rendered = try fixture.render()
        #expect(rendered.job.metadata.name == "run-42-job")
        #expect(rendered.workerService?.metadata.name == "run-42-worker")
        #expect(rendered.workerStatefulSet?.metadata.name == "run-42-worker")
        for object in rendered.all { #expect(object.metadata.namespace == "research") }
        let jobLabels = ["tyger.dev/run": "42", "tyger.dev/role": "job", "app.kubernetes.io/managed-by": "tyger"]
        let workerLabels = ["tyger.dev/run": "42", "tyger.dev/role": "worker", "app.kubernetes.io/managed-by": "tyger"]
        #expect(rendered.job.metadata.labels == jobLabels)
        // Pods also say whether workload identity applies, as Tyger's do.
        let noIdentity = ["azure.workload.identity/use": "false"]
        #expect(rendered.job.spec?.template.metadata?.labels == jobLabels.merging(noIdentity) { $1 })
        #expect(rendered.workerService?.metadata.labels == workerLabels)
        #expect(rendered.workerStatefulSet?.metadata.labels == workerLabels)
        #expect(rendered.workerStatefulSet?.spec?.template.metadata?.labels == workerLabels.merging(noIdentity) { $1 })
        let selector = ["tyger.dev/run": "42", "tyger.dev/role": "worker"]
        #expect(rendered.workerStatefulSet?.spec?.selector.matchLabels == selector)
        #expect(rendered.workerService?.spec?.selector == selector)
        #expect(
            rendered.jobContainer?.env("TYGER_WORKER_NODES")?.contains(".run-42-worker.research.svc.cluster.local")
                == true)
    }

    @Test func theLabelDomainIsConfigurable() throws {
        var fixture = RenderFixtures.specExample
        fixture.options.labelDomain = "example.org"
        let rendered = try fixture.render()
        #expect(
            rendered.workerStatefulSet?.spec?.selector.matchLabels == [
                "example.org/run": "42", "example.org/role": "worker",
            ])
        #expect(fixture.options.labelSelector(runID: runID(42), role: .job) == "example.org/run=42,example.org/role=job")
    }

    @Test func theJobRunsReplicasOnceWithinTheTimeout() throws {
        let single = try RenderFixtures.distributed.render().job
        #expect(single.apiVersion == "batch/v1" && single.kind == "Job")
        let spec = try #require(single.spec)
        #expect(spec.parallelism == 1 && spec.completions == 1 && spec.completionMode == nil)
        #expect(spec.backoffLimit == 0)
        #expect(spec.activeDeadlineSeconds == 3600)
        #expect(spec.ttlSecondsAfterFinished == 600)
        #expect(spec.template.spec?.restartPolicy == "Never")
        #expect(spec.template.spec?.enableServiceLinks == false)
        #expect(spec.template.spec?.containers.map(\.name) == ["main"])

        let indexed = try #require(try RenderFixtures.twoJobReplicas.render().job.spec)
        #expect(indexed.parallelism == 2 && indexed.completions == 2 && indexed.completionMode == "Indexed")
        #expect(indexed.activeDeadlineSeconds == RunSpec.defaultTimeoutSeconds)
    }

    @Test func theTimeToLiveAfterFinishingIsAnOption() throws {
        var fixture = RenderFixtures.jobOnly
        fixture.options.ttlSecondsAfterFinished = 60
        #expect(try fixture.render().job.spec?.ttlSecondsAfterFinished == 60)
        fixture.options.ttlSecondsAfterFinished = nil
        let json = String(decoding: try JSONEncoder().encode(try fixture.render().job), as: UTF8.self)
        #expect(!json.contains("ttlSecondsAfterFinished"))
    }

    @Test func workersAreAParallelStatefulSetBehindAHeadlessService() throws {
        let rendered = try RenderFixtures.distributed.render()
        let statefulSet = try #require(rendered.workerStatefulSet)
        #expect(statefulSet.apiVersion == "apps/v1" && statefulSet.kind == "StatefulSet")
        #expect(statefulSet.spec?.replicas == 3)
        #expect(statefulSet.spec?.serviceName == "run-1234-worker")
        #expect(statefulSet.spec?.podManagementPolicy == "Parallel")
        #expect(statefulSet.spec?.template.spec?.restartPolicy == "Always")
        #expect(statefulSet.spec?.template.spec?.enableServiceLinks == false)
        #expect(statefulSet.spec?.template.spec?.containers.map(\.name) == ["worker"])

        let service = try #require(rendered.workerService)
        #expect(service.apiVersion == "v1" && service.kind == "Service")
        #expect(service.spec?.clusterIP == "None")
        #expect(service.spec?.publishNotReadyAddresses == true)
        #expect(
            service.spec?.ports == [
                Service.Port(name: "gadgetron", port: 9002, targetPort: 9002, protocol: "TCP"),
                Service.Port(name: "port-7000", port: 7000, targetPort: 7000, protocol: "TCP"),
            ])
    }

    /// A port is named after its endpoint when the name is a valid port name; `rpc_Control`
    /// lower-cased still has an underscore, so its container port has no name.
    @Test func containerPortsAreNamedAfterValidEndpointNames() throws {
        let worker = try #require(try RenderFixtures.distributed.render().workerContainer)
        #expect(
            worker.ports == [
                ContainerPort(name: "gadgetron", containerPort: 9002, protocol: "TCP"),
                ContainerPort(name: nil, containerPort: 7000, protocol: "TCP"),
            ])
        #expect(worker.readinessProbe?.tcpSocket?.port == 9002)
        #expect(worker.readinessProbe?.periodSeconds == 2)
    }

    /// Two endpoints on one port share a container port and a Service port: Kubernetes rejects
    /// a Service listing a port twice. Both still get their environment variables.
    @Test func endpointsSharingAPortAreExposedOnce() throws {
        let rendered = try RenderFixtures.sharedPorts.render()
        #expect(rendered.workerContainer?.ports?.map(\.containerPort) == [8080, 9090])
        #expect(rendered.workerContainer?.ports?.map(\.name) == ["http", nil])
        #expect(rendered.workerService?.spec?.ports?.map(\.name) == ["http", "port-9090"])
        #expect(rendered.jobContainer?.env("TYGER_METRICS_WORKER_ENDPOINT_ADDRESSES")?.contains(":8080\"") == true)
        #expect(rendered.workerContainer?.env("TYGER_METRICS_ENDPOINT_PORT") == "8080")
    }

    @Test func workersWithoutEndpointsHaveNoPortsAndNoProbe() throws {
        let rendered = try RenderFixtures.unusualWorkers.render()
        #expect(rendered.workerContainer?.ports == nil)
        #expect(rendered.workerContainer?.readinessProbe == nil)
        #expect(rendered.workerService?.spec?.ports == nil)
        #expect(rendered.jobContainer?.envNames == ["TYGER_RUN_ID", "TYGER_WORKER_NODES"])
    }

    // MARK: - Codespec fields

    @Test func imageCommandArgsAndWorkingDirectoryAreTheCodespecs() throws {
        let rendered = try RenderFixtures.distributed.render()
        let job = try #require(rendered.jobContainer)
        #expect(job.image == "registry.example.com/trainer:3.1")
        #expect(job.command == ["python3", "-m", "trainer"])
        #expect(job.args == ["--epochs", "3"])
        #expect(job.workingDir == "/work")
        let worker = try #require(rendered.workerContainer)
        #expect(worker.image == "ghcr.io/example/gadgetron:2")
        #expect(worker.args == ["-p", "$(TYGER_GADGETRON_ENDPOINT_PORT)"])
        #expect(worker.workingDir == "/opt/gadgetron")
        // No command means the image's entry point: the field is left out, not emptied.
        let bare = try #require(try RenderFixtures.unusualWorkers.render().jobContainer)
        #expect(bare.command == nil && bare.args == nil && bare.workingDir == nil)
    }

    @Test func quantitiesKeepTheirTextAndGPUsAreRequestedAndLimited() throws {
        let rendered = try RenderFixtures.distributed.render()
        #expect(
            rendered.jobContainer?.resources
                == ResourceRequirements(
                    requests: ["cpu": "3000m", "memory": "4G", "nvidia.com/gpu": "1"],
                    limits: ["cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "1"]
                ))
        #expect(
            rendered.workerContainer?.resources
                == ResourceRequirements(
                    requests: ["cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "2"], limits: ["nvidia.com/gpu": "2"]))
        #expect(try RenderFixtures.jobOnly.render().jobContainer?.resources == nil)
    }

    @Test func sharedMemoryIsAMemoryVolumeAtDevShm() throws {
        let rendered = try RenderFixtures.distributed.render()
        #expect(
            rendered.job.spec?.template.spec?.volumes == [
                Volume(name: "shm", emptyDir: .init(medium: "Memory", sizeLimit: "1Gi"))
            ])
        #expect(rendered.jobContainer?.volumeMounts == [VolumeMount(name: "shm", mountPath: "/dev/shm")])
        #expect(rendered.workerStatefulSet?.spec?.template.spec?.volumes?.first?.emptyDir?.sizeLimit == "512Mi")
        #expect(rendered.workerContainer?.volumeMounts == [VolumeMount(name: "shm", mountPath: "/dev/shm")])
        let plain = try RenderFixtures.jobOnly.render()
        #expect(plain.job.spec?.template.spec?.volumes == nil && plain.jobContainer?.volumeMounts == nil)
    }

    @Test func identitiesRunAsTheServiceAccountsOfTygersInstaller() throws {
        let rendered = try RenderFixtures.distributed.render()
        let jobPod = try #require(rendered.job.spec?.template)
        let workerPod = try #require(rendered.workerStatefulSet?.spec?.template)
        #expect(jobPod.spec?.serviceAccountName == "tyger-custom-trainer-identity-job")
        #expect(workerPod.spec?.serviceAccountName == "tyger-custom-worker.identity-job")
        #expect(jobPod.metadata?.labels?["azure.workload.identity/use"] == "true")
        #expect(workerPod.metadata?.labels?["azure.workload.identity/use"] == "true")
        // Without an identity, the job runs as the release's job account and a worker as the default.
        let plain = try RenderFixtures.jobOnly.render()
        #expect(plain.job.spec?.template.spec?.serviceAccountName == "tyger-job")
        #expect(plain.job.spec?.template.metadata?.labels?["azure.workload.identity/use"] == "false")

        var release = RenderFixtures.distributed
        release.options.identities = .tygerRelease("research")
        #expect(try release.render().job.spec?.template.spec?.serviceAccountName == "research-custom-trainer-identity-job")
    }

    @Test func onAPlainClusterAnIdentityIsTheServiceAccount() throws {
        var fixture = RenderFixtures.distributed
        fixture.options = .plainCluster
        let rendered = try fixture.render()
        #expect(rendered.job.spec?.template.spec?.serviceAccountName == "trainer-identity")
        #expect(rendered.workerStatefulSet?.spec?.template.spec?.serviceAccountName == "worker.identity")
        var jobOnly = RenderFixtures.jobOnly
        jobOnly.options = .plainCluster
        #expect(try jobOnly.render().job.spec?.template.spec?.serviceAccountName == nil)
    }

    @Test func identitiesThatMakeNoServiceAccountNameAreRefusedNamingBoth() throws {
        // 240 characters make a service account name on their own, not after the release's prefix.
        let codespec = Codespec(image: "ubuntu:24.04", command: ["true"], identity: String(repeating: "a", count: 240))
        let spec = RunSpec(job: JobTarget(codespec: .inline(codespec)))
        let long = RenderCase(
            name: "long identity", runID: runID(1),
            run: try ResolvedRunSpec(spec: spec, jobCodespec: codespec))
        var plain = long
        plain.options = .plainCluster
        #expect(throws: Never.self) { try plain.render() }
        let error = try #require(throws: TygerError.self) { try long.render() }
        #expect(error.description.contains("job.codespec.identity"))
        #expect(error.description.contains("tyger-custom-aaaa"))
    }

    @Test func everyPodGoesToTygerRunNodesAndTolerateTheirTaints() throws {
        let tygerRun = Toleration(key: "tyger", operator: "Equal", value: "run", effect: "NoSchedule")
        let gpu = Toleration(key: "sku", operator: "Equal", value: "gpu", effect: "NoSchedule")
        let rendered = try RenderFixtures.distributed.render()
        let jobPod = try #require(rendered.job.spec?.template.spec)
        #expect(jobPod.nodeSelector == ["tyger": "run", "agentpool": "gpunp"])
        // Both codespecs ask for GPUs.
        #expect(jobPod.tolerations == [tygerRun, gpu])
        let workerPod = try #require(rendered.workerStatefulSet?.spec?.template.spec)
        #expect(workerPod.nodeSelector == ["tyger": "run", "agentpool": "cpu.pool_2"])
        #expect(workerPod.tolerations == [tygerRun, gpu])

        // No node pool: still Tyger's run nodes, as its installer prepares them; no GPU, no GPU toleration.
        let noPool = try #require(try RenderFixtures.specExample.render().job.spec?.template.spec)
        #expect(noPool.nodeSelector == ["tyger": "run"])
        #expect(noPool.tolerations == [tygerRun])

        var custom = RenderFixtures.distributed
        custom.options.nodePoolLabel = "kubernetes.azure.com/agentpool"
        custom.options.tolerations = [Toleration(key: "dedicated", operator: "Exists", effect: "NoSchedule")]
        custom.options.gpuToleration = nil
        let customPod = try #require(try custom.render().job.spec?.template.spec)
        #expect(customPod.nodeSelector == ["tyger": "run", "kubernetes.azure.com/agentpool": "gpunp"])
        #expect(customPod.tolerations == [Toleration(key: "dedicated", operator: "Exists", effect: "NoSchedule")])

        var plain = RenderFixtures.specExample
        plain.options = .plainCluster
        let plainPod = try #require(try plain.render().job.spec?.template.spec)
        #expect(plainPod.nodeSelector == nil && plainPod.tolerations == nil)
        var plainPool = RenderFixtures.distributed
        plainPool.options = .plainCluster
        #expect(try plainPool.render().job.spec?.template.spec?.nodeSelector == ["agentpool": "gpunp"])
    }

    @Test func renderOptionsThatNameNothingOnAClusterAreRefused() throws {
        var fixture = RenderFixtures.specExample
        fixture.options.nodeSelector = ["bad key!": "run"]
        fixture.options.identities = .tygerRelease("Not_A_Release")
        let error = try #require(throws: TygerError.self) { try fixture.render() }
        #expect(error.description.contains("the node selector key 'bad key!'"))
        #expect(error.description.contains("the Tyger release name 'Not_A_Release'"))
    }

    // MARK: - Waiting for workers

    @Test func theJobWaitsForWorkersInAnInitContainerOfOurs() throws {
        let rendered = try RenderFixtures.distributed.render()
        let wait = try #require(rendered.job.spec?.template.spec?.initContainers?.first)
        #expect(rendered.job.spec?.template.spec?.initContainers?.count == 1)
        #expect(wait.name == "wait-for-workers")
        #expect(wait.image == "busybox:1.36")
        #expect(wait.args == ["3", "run-1234-worker-", ".run-1234-worker.tyger.svc.cluster.local", "9002", "7000"])
        // The script is fixed text: no codespec field reaches it.
        let other = try #require(try RenderFixtures.specExample.render().job.spec?.template.spec?.initContainers?.first)
        #expect(wait.command == other.command)
        let command = (wait.command ?? []).joined(separator: " ")
        for input in ["python3", "trainer", "gadgetron", "$(TYGER", "/work"] { #expect(!command.contains(input)) }

        var options = KubernetesRenderOptions()
        options.waitImage = "mirror.example.com/busybox:1.36.1"
        var fixture = RenderFixtures.specExample
        fixture.options = options
        #expect(
            try fixture.render().job.spec?.template.spec?.initContainers?.first?.image
                == "mirror.example.com/busybox:1.36.1")
    }

    /// However many workers a run has, it is three objects, and the wait container's
    /// arguments do not grow: only the job's address variables do.
    @Test(arguments: [1, 10, 1_000])
    func theObjectCountDoesNotGrowWithReplicas(_ replicas: Int) throws {
        var fixture = RenderFixtures.specExample
        fixture.run = try fixture.run.changing(spec: { $0.worker?.replicas = replicas })
        let rendered = try fixture.render()
        #expect(rendered.all.count == 3)
        #expect(rendered.all.map(\.kind) == ["Job", "Service", "StatefulSet"])
        #expect(rendered.workerStatefulSet?.spec?.replicas == replicas)
        #expect(
            rendered.job.spec?.template.spec?.initContainers?.first?.args == [
                "\(replicas)", "run-42-worker-", ".run-42-worker.tyger.svc.cluster.local", "9002",
            ])
        let nodes = try #require(rendered.jobContainer?.env("TYGER_WORKER_NODES"))
        let hosts = try #require(try JSONSerialization.jsonObject(with: Data(nodes.utf8)) as? [String])
        #expect(hosts.count == replicas)
        #expect(hosts.last == "run-42-worker-\(replicas - 1).run-42-worker.tyger.svc.cluster.local")
        #expect(try RenderFixtures.jobOnly.render().all.count == 1)
    }

    // MARK: - Ownership, order and output

    @Test func workerObjectsAreOwnedByTheJobOnceItsUIDIsKnown() throws {
        let rendered = try RenderFixtures.specExample.render()
        for object in rendered.all { #expect(object.metadata.ownerReferences == nil) }
        let owned = rendered.withOwner(jobUID: "6f1c9a2e-0000-4000-8000-000000000042")
        let reference = OwnerReference(
            apiVersion: "batch/v1", kind: "Job", name: "run-42-job", uid: "6f1c9a2e-0000-4000-8000-000000000042",
            controller: false, blockOwnerDeletion: false)
        #expect(owned.workerService?.metadata.ownerReferences == [reference])
        #expect(owned.workerStatefulSet?.metadata.ownerReferences == [reference])
        #expect(owned.job == rendered.job)
        #expect(owned.all.map(\.kind) == ["Job", "Service", "StatefulSet"])
        // Nothing else changes.
        var stripped = owned
        stripped.workerService?.metadata.ownerReferences = nil
        stripped.workerStatefulSet?.metadata.ownerReferences = nil
        #expect(stripped == rendered)
        #expect(try RenderFixtures.jobOnly.render().withOwner(jobUID: "x") == RenderFixtures.jobOnly.render())
    }

    @Test func theObjectsAreEncodableAndSendable() throws {
        let objects: [any Encodable & Sendable] = try RenderFixtures.specExample.render().all
        #expect(objects.count == 3)
        // Absent fields are left out, never sent as null, and nothing the server owns is sent.
        for object in objects {
            let json = String(decoding: try JSONEncoder().encode(object), as: UTF8.self)
            #expect(!json.contains(":null"))
            #expect(!json.contains("\"status\""))
            #expect(!json.contains("\"uid\""))
        }
    }

    @Test(arguments: RenderFixtures.all)
    func theYAMLHoldsExactlyTheObjectsInCreationOrder(_ fixture: RenderCase) throws {
        let rendered = try fixture.render().withOwner(jobUID: "11111111-2222-3333-4444-555555555555")
        let yaml = try rendered.yaml()
        let documents = Array(try Yams.load_all(yaml: yaml))
        #expect(documents.count == rendered.all.count)
        #expect(yaml.components(separatedBy: "\n").filter { $0.hasPrefix("---") }.count == rendered.all.count)
        // Each document decodes into the object it came from.
        let decoder = YAMLDecoder()
        let texts = yaml.components(separatedBy: "---\n").dropFirst()
        #expect(texts.count == rendered.all.count)
        for (text, object) in zip(texts, rendered.all) {
            let decoded: any KubernetesObject =
                switch object.kind {
                case "Job": try decoder.decode(Job.self, from: String(text))
                case "Service": try decoder.decode(Service.self, from: String(text))
                default: try decoder.decode(StatefulSet.self, from: String(text))
                }
            #expect(
                try JSONEncoder.sorted.encode(decoded) == JSONEncoder.sorted.encode(object),
                "\(object.kind) changed through YAML")
        }
    }

    /// kubectl reads YAML 1.1, where a plain `y` is a boolean; such values are quoted.
    @Test func yamlQuotesStringsThatYAML11ReadsAsBooleans() throws {
        let yaml = try RenderFixtures.distributed.render().yaml()
        #expect(yaml.contains("name: YES_NO\n") && yaml.contains("value: 'y'"))
        #expect(yaml.contains("tyger.dev/run: '1234'"))
        #expect(yaml.hasPrefix("---\napiVersion: batch/v1\nkind: Job\n"))
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}
