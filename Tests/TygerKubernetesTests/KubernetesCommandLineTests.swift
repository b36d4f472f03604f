import Foundation
import Testing
import TygerKubernetesTesting
import TygerTestSupport

/// `tyger --backend kubernetes` end to end, against the test API server through a kubeconfig.
@Suite struct KubernetesCommandLineTests {
    private func tyger(_ arguments: [String], kubeconfig: String) async throws -> ProcessResult {
        try await TygerProcess.run(arguments, kubeconfig: kubeconfig)
    }

    @Test func execRenderAndShowOnACluster() async throws {
        try await withKubernetesTestServer { server in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tyger-k8s-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            try Data(server.kubeconfig(namespace: "tyger").utf8).write(to: URL(fileURLWithPath: kubeconfig))
            let runFile = directory.appendingPathComponent("run.yaml").path
            try Data(
                """
                job:
                  codespec:
                    image: tyger-conformance:test
                    command: [tyger-conformance, job-discovery, rpc, --expect-replicas, "3"]
                worker:
                  codespec:
                    image: tyger-conformance:test
                    command: [tyger-conformance, worker]
                    endpoints: {rpc: 9002}
                  replicas: 3
                """.utf8
            ).write(to: URL(fileURLWithPath: runFile))

            let exec = try await tyger(["run", "exec", "-f", runFile], kubeconfig: kubeconfig)
            #expect(exec.status == 0, "STDERR: \(exec.stderr)")
            #expect(exec.stdout.contains("\"indexes\":[0,1,2]"), "\(exec.stdout)")
            #expect(exec.stderr.contains("run 1: Succeeded"), "\(exec.stderr)")
            #expect(exec.stdout.contains("[worker-2] worker 2 listening"), "\(exec.stdout)")

            let shown = try await tyger(["run", "show", "1"], kubeconfig: kubeconfig)
            let run = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
            #expect(run?["id"] as? Int == 1 && run?["status"] as? String == "Succeeded", "\(shown.stdout)\(shown.stderr)")
            #expect((run?["worker"] as? [String: Any])?["replicas"] as? Int == 3, "\(shown.stdout)")

            _ = try await tyger(
                ["codespec", "create", "shared", "--image", "x", "--command", "--", "run-me"], kubeconfig: kubeconfig)
            let listed = try await tyger(["codespec", "list", "-o", "yaml"], kubeconfig: kubeconfig)
            #expect(listed.stdout.contains("name: shared"), "\(listed.stdout)\(listed.stderr)")

            let rendered = try await tyger(["run", "render", "-f", runFile, "--run-id", "42"], kubeconfig: kubeconfig)
            #expect(rendered.stdout.contains("run-42-worker-0.run-42-worker.tyger.svc.cluster.local:9002"))
        }
    }
}
