import Foundation
import Synchronization
import Testing
import TygerKit
import TygerKubernetes
import TygerKubernetesTesting
import TygerTestSupport

/// What Tyger users script, on the Kubernetes backend: tags under optimistic concurrency,
/// queries, log options, a followed log that survives dropped streams, and the counts Tyger
/// reports.
@Suite struct KubernetesCompatibilityTests {
    private static let image = "tyger-conformance:test"

    private func job(_ arguments: [String], replicas: Int = 1, tags: [String: String] = [:]) -> RunSpec {
        RunSpec(
            job: JobTarget(
                codespec: .inline(Codespec(image: Self.image, command: ["tyger-conformance"], args: arguments)),
                replicas: replicas),
            timeoutSeconds: 120, tags: tags)
    }

    @Test func tagsChangeUnderOptimisticConcurrency() async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.waitUntilTerminal(try await client.createRun(job(["exit", "0"], tags: ["a": "1"])).id)
            let changed = try await client.setTags(of: run.id, to: ["a": "2"], ifMatch: run.eTag)
            #expect(changed.tags == ["a": "2"] && changed.eTag != run.eTag)
            #expect(try await client.run(id: run.id).tags == ["a": "2"])
            #expect(try await client.run(id: run.id).eTag == changed.eTag)
            let stale = await #expect(throws: TygerError.self) {
                try await client.setTags(of: run.id, to: ["a": "3"], ifMatch: run.eTag)
            }
            #expect(stale?.code == .conflict)
            #expect(stale?.message.contains("the server's ETag does not match the provided ETag") == true)

            // Two clients with the same eTag at once: one wins, the other is told, none is lost.
            let current = try await client.run(id: run.id)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for value in ["x", "y"] {
                    group.addTask {
                        (try? await backend.setTags(of: run.id, to: ["who": value], ifMatch: current.eTag)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.count(where: { $0 }) == 1 && outcomes.count == 2, "\(outcomes)")
            let final = try await client.run(id: run.id)
            #expect(final.tags == ["who": "x"] || final.tags == ["who": "y"])
            // The record is replaced with its resourceVersion, never blindly.
            let puts = server.requests.filter { $0.method == "PUT" && $0.path.hasSuffix("/configmaps/run-\(run.id)") }
            #expect(!puts.isEmpty)
        }
    }

    @Test func listingsApplyTheQueryOnTheRecords() async throws {
        try await withKubernetesBackend { backend, _ in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            var ids: [RunID] = []
            for (code, group) in [("0", "a"), ("5", "a"), ("0", "b")] {
                let run = try await client.createRun(job(["exit", code], tags: ["group": group]))
                ids.append(try await client.waitUntilTerminal(run.id).id)
            }
            #expect(try await client.runs().map(\.id) == ids.reversed())
            #expect(try await client.runs(RunQuery(statuses: [.failed])).map(\.id) == [ids[1]])
            #expect(try await client.runs(RunQuery(tags: ["group": "a"], limit: 1)).map(\.id) == [ids[1]])
            let second = try await client.run(id: ids[1])
            #expect(try await client.runs(RunQuery(since: second.createdAt)).map(\.id) == [ids[2]])
            #expect(try await client.counts(RunQuery(tags: ["group": "a"])) == [.succeeded: 1, .failed: 1])
            // Tags set later count.
            _ = try await client.setTags(of: ids[2], to: ["group": "a"])
            #expect(try await client.runs(RunQuery(tags: ["group": "a"])).map(\.id) == [ids[2], ids[1], ids[0]])
        }
    }

    @Test func logOptionsGoToTheAPIAndAreExactHere() async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.waitUntilTerminal(try await client.createRun(job(["print", "6"], replicas: 2)).id)
            var all: [RunLogLine] = []
            for try await line in client.logs(of: run.id) { all.append(line) }
            #expect(all.count == 18, "\(all)")
            var tailed: [RunLogLine] = []
            for try await line in client.logs(of: run.id, RunLogOptions(tail: 2)) { tailed.append(line) }
            #expect(tailed.count == 4, "two per replica: \(tailed)")
            #expect(server.requests.contains { $0.path.hasSuffix("/log") && $0.query["tailLines"] == "2" })
            let cut = all[10].timestamp
            var recent: [RunLogLine] = []
            for try await line in client.logs(of: run.id, RunLogOptions(since: cut)) { recent.append(line) }
            #expect(recent.map(\.text).sorted() == all.filter { $0.timestamp > cut }.map(\.text).sorted())
            #expect(server.requests.contains { $0.path.hasSuffix("/log") && $0.query["sinceTime"] != nil })
        }
    }

    /// A followed log whose stream the API server drops (a restart, a load balancer's idle
    /// timeout) goes on from where it was: every line once, in order.
    @Test(.timeLimit(.minutes(1))) func aFollowedLogResumesAfterDroppedStreams() async throws {
        try await withKubernetesBackend { backend, server in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.createRun(job(["print", "30", "--every", "0.05"]))
            let received = Mutex<[String]>([])
            let dropper = Task {
                for threshold in [3, 10, 20] {
                    while received.withLock({ $0.count }) < threshold {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    server.faults.dropLogStreams()
                }
            }
            defer { dropper.cancel() }
            for try await line in client.logs(of: run.id, follow: true) {
                received.withLock { $0.append(line.text) }
            }
            let pod = try #require(
                server.objects("pods", namespace: "tyger").first { $0[path: ["metadata", "labels", "tyger.dev/role"]]?.stringValue == "job" })
            let expected = server.podLog(pod: pod.name, container: "main")
            #expect(expected.count == 45)
            #expect(received.withLock { $0 } == expected)
            #expect(try await client.run(id: run.id).status == .succeeded)
        }
    }

    @Test func runningCountIsTheJobPodsRunning() async throws {
        try await withKubernetesBackend { backend, _ in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.createRun(job(["sleep", "30"], replicas: 2))
            var running: Run?
            for try await update in client.updates(of: run.id) where update.runningCount == 2 {
                running = update
                break
            }
            #expect(running?.status == .running)
            let canceled = try await client.cancel(id: run.id)
            #expect(canceled.runningCount == nil || canceled.status != .running)
            let final = try await client.waitUntilTerminal(run.id)
            #expect(final.runningCount == nil)
        }
    }

    // MARK: - Render options from the command line

    @Test func renderOptionsComeFromFlagsOrTheEnvironment() async throws {
        let home = try TemporaryDirectory()
        let runFile = try home.write(
            "run.yaml",
            """
            job:
              codespec:
                image: busybox
                command: [sh]
                identity: trainer
                resources: {gpu: 1}
            """)
        let kubeconfig = try home.write("kubeconfig", "")
        let environment = ["TYGER_HOME": home.path]
        let tyger = { (arguments: [String], extra: [String: String]) in
            try await TygerProcess.run(["run", "render", "-f", runFile] + arguments, kubeconfig: kubeconfig, environment: environment.merging(extra) { $1 })
        }
        let installed = try await tyger([], [:])
        #expect(installed.status == 0, "\(installed.stderr)")
        #expect(installed.stdout.contains("serviceAccountName: tyger-custom-trainer-job"), "\(installed.stdout)")
        #expect(installed.stdout.contains("tyger: run"))
        #expect(installed.stdout.contains("value: gpu"))
        #expect(installed.stdout.contains("azure.workload.identity/use: 'true'") || installed.stdout.contains("azure.workload.identity/use: \"true\""), "\(installed.stdout)")

        let release = try await tyger(["--tyger-release", "research"], [:])
        #expect(release.stdout.contains("serviceAccountName: research-custom-trainer-job"), "\(release.stdout)")
        for plain in [try await tyger(["--cluster-profile", "plain"], [:]), try await tyger([], ["TYGER_KUBERNETES_PROFILE": "plain"])] {
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(plain.stdout.contains("serviceAccountName: trainer"), "\(plain.stdout)")
            #expect(!plain.stdout.contains("tyger: run") && !plain.stdout.contains("tolerations"), "\(plain.stdout)")
        }
        let flagWins = try await tyger(["--cluster-profile", "tyger"], ["TYGER_KUBERNETES_PROFILE": "plain"])
        #expect(flagWins.stdout.contains("tyger-custom-trainer-job"))
        let bad = try await tyger([], ["TYGER_KUBERNETES_PROFILE": "weird"])
        #expect(bad.stderr.contains("TYGER_KUBERNETES_PROFILE is 'weird'; allowed: tyger, plain"), "\(bad.stderr)")
        let image = try await tyger(["--wait-image", "mirror.example.com/busybox:1"], [:])
        #expect(image.status == 0)
    }
}
