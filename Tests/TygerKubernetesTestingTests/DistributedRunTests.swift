import Foundation
import Testing
import TygerKubernetesTesting

/// Objects shaped like the ones the Kubernetes guide describes for a distributed run, built by hand.
enum DiscoveryFixtures {
    static func labels(_ name: String) -> JSONValue { ["tyger-run": .string(name), "tyger-role": "worker"] }

    static func headlessService(_ name: String, port: Int = 8080) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)],
            "spec": ["clusterIP": "None", "selector": labels(name), "ports": [["name": "rpc", "port": JSONValue(port)]]],
        ]
    }

    static func workers(_ name: String, replicas: Int, arguments: [String], port: Int = 8080, probe: Bool = true) -> JSONValue {
        var container = Fixtures.container(
            arguments, name: "worker",
            env: [
                [
                    "name": "TYGER_WORKER_INDEX",
                    "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"]],
                ],
                ["name": "TYGER_RPC_ENDPOINT_PORT", "value": .string(String(port))],
            ])
        container["ports"] = [["name": "rpc", "containerPort": JSONValue(port)]]
        if probe { container["readinessProbe"] = ["tcpSocket": ["port": JSONValue(port)], "periodSeconds": 1] }
        return [
            "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": ["name": .string(name)],
            "spec": [
                "replicas": JSONValue(replicas), "serviceName": .string(name), "podManagementPolicy": "Parallel",
                "selector": ["matchLabels": labels(name)],
                "template": ["metadata": ["labels": labels(name)], "spec": ["containers": [container]]],
            ],
        ]
    }

    static func hosts(_ set: String, replicas: Int, namespace: String = "tyger") -> [String] {
        (0..<replicas).map { "\(set)-\($0).\(set).\(namespace).svc.cluster.local" }
    }

    /// A job pod template that waits for the workers in an init container and then runs `arguments`.
    static func job(_ name: String, arguments: [String], nodes: [String], addresses: [String]) -> JSONValue {
        let env: [JSONValue] = [
            ["name": "TYGER_WORKER_NODES", "value": .string(JSONValue(nodes).serialized)],
            ["name": "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES", "value": .string(JSONValue(addresses).serialized)],
        ]
        let wait: JSONValue = [
            "name": "wait-for-workers", "image": "busybox:1.36", "command": ["sh", "-c", "until nc -z ...; do sleep 1; done"],
            "env": .array(env),
        ]
        var job = Fixtures.job(name, arguments)
        job[path: ["spec", "template", "spec", "initContainers"]] = [wait]
        job[path: ["spec", "template", "spec", "containers"]] = [Fixtures.container(arguments, env: env)]
        return job
    }
}

@Suite struct DistributedRunTests {
    @Test func jobWaitsForWorkersThenDiscoversThem() async throws {
        try await withServer { server, http in
            let hosts = DiscoveryFixtures.hosts("run-42-worker", replicas: 3)
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("run-42-worker"))
            _ = try await http.post(
                Fixtures.statefulSets,
                DiscoveryFixtures.workers("run-42-worker", replicas: 3, arguments: ["worker", "--listen-after", "2"]))
            _ = try await http.post(
                Fixtures.jobs,
                DiscoveryFixtures.job(
                    "run-42-job", arguments: ["job-discovery", "rpc", "--expect-replicas", "3"], nodes: hosts,
                    addresses: hosts.map { $0 + ":8080" }))

            try await server.waitUntil(timeout: .seconds(10), "the init container running") { server in
                server.pods(ofJob: "run-42-job").first?[path: ["status", "initContainerStatuses"]]?[0]?[path: ["state", "running"]] != nil
            }
            let waiting = try #require(server.pods(ofJob: "run-42-job").first)
            #expect(waiting[path: ["status", "phase"]] == "Pending")
            #expect(waiting[path: ["status", "containerStatuses"]]?[0]?[path: ["state", "waiting", "reason"]] == "PodInitializing")
            #expect(server.object("statefulsets", namespace: "tyger", name: "run-42-worker")?[path: ["status", "readyReplicas"]] != 3)

            try await server.waitUntil(timeout: .seconds(20), "job complete") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "run-42-job"), "Complete") != nil
            }
            let pod = try #require(server.pods(ofJob: "run-42-job").first)
            let lines = server.podLog(pod: pod.name)
            let summary = try JSONValue(parsing: try #require(lines.last))
            #expect(summary["replicas"] == 3)
            #expect(summary["indexes"] == [0, 1, 2])
            #expect(summary["nodes"] == JSONValue(hosts))
            #expect(summary["addresses"] == JSONValue(hosts.map { $0 + ":8080" }))
            let instances = summary["instances"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(Set(instances).count == 3)
        }
    }

    @Test func addressesOutOfOrderFailTheJob() async throws {
        try await withServer { server, http in
            let hosts = DiscoveryFixtures.hosts("w", replicas: 2)
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("w"))
            _ = try await http.post(Fixtures.statefulSets, DiscoveryFixtures.workers("w", replicas: 2, arguments: ["worker"]))
            let reversed = Array(hosts.reversed())
            _ = try await http.post(
                Fixtures.jobs,
                DiscoveryFixtures.job(
                    "j", arguments: ["job-discovery", "rpc"], nodes: reversed, addresses: reversed.map { $0 + ":8080" }))
            try await server.waitUntil(timeout: .seconds(20), "job failed") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "j"), "Failed") != nil
            }
            let pod = try #require(server.pods(ofJob: "j").first)
            #expect(server.podLog(pod: pod.name).last?.contains("addresses are not in replica order") == true)
        }
    }

    @Test func workerThatIsNotListeningYetRefusesConnections() async throws {
        // Without a readiness probe a worker is Ready as soon as it runs, as in Kubernetes, so a job
        // that only waits for Ready connects before the worker listens, and fails.
        try await withServer { server, http in
            let hosts = DiscoveryFixtures.hosts("np", replicas: 1)
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("np"))
            _ = try await http.post(
                Fixtures.statefulSets,
                DiscoveryFixtures.workers("np", replicas: 1, arguments: ["worker", "--listen-after", "120"], probe: false))
            _ = try await http.post(
                Fixtures.jobs,
                DiscoveryFixtures.job("early", arguments: ["job-discovery", "rpc"], nodes: hosts, addresses: hosts.map { $0 + ":8080" }))
            try await server.waitUntil(timeout: .seconds(20), "job failed") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "early"), "Failed") != nil
            }
            let pod = try #require(server.pods(ofJob: "early").first)
            #expect(server.podLog(pod: pod.name).last?.contains("Connection refused") == true)
        }
    }

    @Test func initContainerCanWaitForEndpointsInsteadOfReadiness() async throws {
        try await withServer({ $0.podBehavior = ConformancePodBehavior(waitForWorkersChecksEndpoints: true) }) { server, http in
            let hosts = DiscoveryFixtures.hosts("lp", replicas: 2)
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("lp"))
            _ = try await http.post(
                Fixtures.statefulSets,
                DiscoveryFixtures.workers("lp", replicas: 2, arguments: ["worker", "--listen-after", "1"], probe: false))
            _ = try await http.post(
                Fixtures.jobs,
                DiscoveryFixtures.job("patient", arguments: ["job-discovery", "rpc"], nodes: hosts, addresses: hosts.map { $0 + ":8080" }))
            try await server.waitUntil(timeout: .seconds(20), "job complete") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "patient"), "Complete") != nil
            }
        }
    }

    @Test func tygerKitWorkerWaitScriptWaitsForEveryPort() async throws {
        try await withServer { server, http in
            let hosts = DiscoveryFixtures.hosts("tk-worker", replicas: 2)
            var service = DiscoveryFixtures.headlessService("tk-worker")
            service[path: ["spec", "publishNotReadyAddresses"]] = true
            _ = try await http.post(Fixtures.services, service)
            _ = try await http.post(
                Fixtures.statefulSets,
                DiscoveryFixtures.workers("tk-worker", replicas: 2, arguments: ["worker", "--listen-after", "3"], probe: false))
            var job = DiscoveryFixtures.job(
                "tk-job", arguments: ["job-discovery", "rpc", "--expect-replicas", "2"], nodes: hosts,
                addresses: hosts.map { $0 + ":8080" })
            job[path: ["spec", "template", "spec", "initContainers"]] = [
                [
                    "name": "wait-for-workers", "image": "busybox:1.36",
                    "command": ["sh", "-c", "# the script", "wait-for-workers"],
                    "args": ["2", "tk-worker-", ".tk-worker.tyger.svc.cluster.local", "8080"],
                ]
            ]
            _ = try await http.post(Fixtures.jobs, job)
            try await server.waitUntil(timeout: .seconds(20), "job complete") {
                Fixtures.condition($0.object("jobs", namespace: "tyger", name: "tk-job"), "Complete") != nil
            }
            let pod = try #require(server.pods(ofJob: "tk-job").first)
            let waitLog = server.podLog(pod: pod.name, container: "wait-for-workers")
            #expect(waitLog.first == "waiting for \(hosts[0]):8080 (try 1)", "\(waitLog)")
            #expect(waitLog.last == "all 2 worker replicas are ready", "\(waitLog)")
        }
    }

    @Test func conformanceProgramsExitAndLogAsTheRealOne() async throws {
        try await withServer { server, http in
            var unknown = Fixtures.pod("unknown", [])
            unknown[path: ["spec", "containers"]] = [["name": "main", "image": "busybox", "command": ["ls", "/"]]]
            let pods: [(String, JSONValue)] = [
                ("exit", Fixtures.pod("exit", ["exit", "7"])),
                ("usage", Fixtures.pod("usage", ["frobnicate"])),
                ("unknown", unknown),
            ]
            for (_, pod) in pods { _ = try await http.post(Fixtures.pods, pod) }
            try await server.waitUntil(timeout: .seconds(10), "all failed") { server in
                pods.allSatisfy { server.object("pods", namespace: "tyger", name: $0.0)?[path: ["status", "phase"]] == "Failed" }
            }
            func exitCode(_ name: String) -> JSONValue? {
                server.object("pods", namespace: "tyger", name: name)?[path: ["status", "containerStatuses"]]?[0]?[
                    path: ["state", "terminated", "exitCode"]]
            }
            #expect(exitCode("exit") == 7)
            #expect(server.podLog(pod: "exit") == ["exiting with 7"])
            #expect(exitCode("usage") == 64)
            #expect(server.podLog(pod: "usage").first == "tyger-conformance: unknown command 'frobnicate'")
            #expect(exitCode("unknown") == 127)
            #expect(server.podLog(pod: "unknown") == ["exec: \"ls\": executable file not found in $PATH"])
        }
    }

    @Test func environmentIsResolvedAsTheKubeletDoes() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("settings", data: ["mode": "fast"]))
            var pod = Fixtures.pod("env", ["env", "A", "B", "C", "D", "E", "POD", "MODE", "NOPE"])
            pod[path: ["metadata", "labels"]] = ["apps.kubernetes.io/pod-index": "4"]
            pod[path: ["spec", "containers"]] = [
                Fixtures.container(
                    ["env", "A", "B", "C", "D", "E", "POD", "MODE", "NOPE"],
                    env: [
                        ["name": "A", "value": "one"],
                        ["name": "B", "value": "$(A)-two"],
                        ["name": "C", "value": "$$(A) $(LATER) $(A"],
                        ["name": "D", "value": "$(C)"],
                        [
                            "name": "E",
                            "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['apps.kubernetes.io/pod-index']"]],
                        ],
                        ["name": "POD", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                        ["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "mode"]]],
                        ["name": "LATER", "value": "late"],
                    ])
            ]
            _ = try await http.post(Fixtures.pods, pod)
            try await server.waitUntil(timeout: .seconds(10), "pod done") {
                $0.object("pods", namespace: "tyger", name: "env")?[path: ["status", "phase"]] == "Succeeded"
            }
            #expect(
                server.podLog(pod: "env") == [
                    "A=one", "B=one-two", "C=$(A) $(LATER) $(A", "D=$(A) $(LATER) $(A", "E=4", "POD=env", "MODE=fast",
                    "NOPE unset",
                ])
        }
    }
}

@Suite struct PodLogTests {
    @Test func logsOfAFinishedContainer() async throws {
        try await withServer { server, http in
            _ = try await http.post(Fixtures.pods, Fixtures.pod("printer", ["print", "4"]))
            try await server.waitUntil(timeout: .seconds(10), "printed") {
                $0.object("pods", namespace: "tyger", name: "printer")?[path: ["status", "phase"]] == "Succeeded"
            }
            let log = try await http.get(Fixtures.pods + "/printer/log")
            #expect(log.status == 200)
            #expect(log.text == "line 0\nerr 0\nline 1\nline 2\nerr 2\nline 3\n")
            let tail = try await http.get(Fixtures.pods + "/printer/log?tailLines=1&timestamps=true")
            #expect(tail.text.hasSuffix("Z line 3\n"), "\(tail.text)")
            let followed = try await http.stream(Fixtures.pods + "/printer/log?follow=true")
            defer { followed.close() }
            #expect(await followed.waitForEnd(), "following a finished container ends at once")
            #expect(followed.unread.count == 6)
        }
    }

    @Test func followStreamsUntilTheContainerStops() async throws {
        try await withServer { server, http in
            var pod = Fixtures.pod("follower", ["worker"])
            pod[path: ["spec", "containers"]] = [Fixtures.container(["worker"], env: [["name": "TYGER_WORKER_INDEX", "value": "0"]])]
            _ = try await http.post(Fixtures.pods, pod)
            // Before the container starts, logs are a 400 (see logErrorsAreStatuses).
            try await server.waitUntil(timeout: .seconds(10), "first line") { !$0.podLog(pod: "follower").isEmpty }
            let followed = try await http.stream(Fixtures.pods + "/follower/log?follow=true&container=main")
            defer { followed.close() }
            #expect(followed.status == 200)
            // The first line is written once the program handles SIGTERM, so deleting after it is graceful.
            #expect(await followed.next() == "worker 0 has no endpoints; waiting for SIGTERM")
            #expect(await followed.next(timeout: .milliseconds(200)) == nil, "nothing more yet, still open")
            let deleted = try await http.delete(Fixtures.pods + "/follower")
            #expect(deleted.json[path: ["metadata", "deletionTimestamp"]] != nil, "pods are deleted gracefully")
            #expect(await followed.next() == "worker 0 stopping on SIGTERM")
            #expect(await followed.waitForEnd())
            try await server.waitUntil(timeout: .seconds(10), "pod removed") {
                $0.object("pods", namespace: "tyger", name: "follower") == nil
            }
        }
    }

    @Test func logErrorsAreStatuses() async throws {
        try await withServer({ $0.containerStartDelay = .seconds(30) }) { _, http in
            var pod = Fixtures.pod("two", ["exit", "0"])
            pod[path: ["spec", "containers"]] = [
                Fixtures.container(["exit", "0"], name: "a"), Fixtures.container(["exit", "0"], name: "b"),
            ]
            _ = try await http.post(Fixtures.pods, pod)
            let ambiguous = try await http.get(Fixtures.pods + "/two/log")
            #expect(ambiguous.status == 400)
            #expect(ambiguous.json["message"]?.stringValue?.contains("a container name must be specified") == true)
            let waiting = try await http.get(Fixtures.pods + "/two/log?container=a")
            #expect(waiting.status == 400)
            #expect(waiting.json["message"] == "container \"a\" in pod \"two\" is waiting to start: ContainerCreating")
            #expect(try await http.get(Fixtures.pods + "/nope/log").status == 404)
        }
    }

    @Test func ignoredSigtermIsKilledAfterTheGracePeriod() async throws {
        try await withServer({ $0.terminationGracePeriod = .milliseconds(300) }) { server, http in
            _ = try await http.post(Fixtures.pods, Fixtures.pod("stubborn", ["ignore-term", "300"]))
            try await server.waitUntil(timeout: .seconds(10), "SIGTERM ignored") {
                $0.podLog(pod: "stubborn") == ["ignoring SIGTERM for 300 seconds"]
            }
            let watch = try await http.stream(Fixtures.pods + "?watch=true&fieldSelector=metadata.name%3Dstubborn")
            defer { watch.close() }
            _ = try await http.delete(Fixtures.pods + "/stubborn")
            let killed = await watch.event(timeout: .seconds(10)) { event in
                event[path: ["object", "status", "containerStatuses"]]?[0]?[path: ["state", "terminated", "exitCode"]] != nil
            }
            #expect(killed?[path: ["object", "status", "containerStatuses"]]?[0]?[path: ["state", "terminated", "exitCode"]] == 137)
            #expect(await watch.event { $0["type"] == "DELETED" } != nil)
        }
    }
}
