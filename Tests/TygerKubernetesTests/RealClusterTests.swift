import Foundation
import Testing
import TygerKit
import TygerKitTesting
import TygerKubernetes

/// The conformance suite against a real cluster, run only when `TYGER_TEST_KUBECONFIG` names a
/// kubeconfig. The cluster must be able to pull `TYGER_TEST_CONFORMANCE_IMAGE`, an image whose
/// PATH holds this package's `tyger-conformance`; `TYGER_TEST_NAMESPACE` (default `tyger-test`)
/// must exist and allow the RBAC role in Documentation/Kubernetes.md.
@Suite(.enabled(if: RealCluster.kubeconfig != nil, "set TYGER_TEST_KUBECONFIG to run against a real cluster"))
struct RealClusterTests {
    private func withSuite(_ body: (BackendConformanceSuite) async throws -> Void) async throws {
        let kubernetes = try KubernetesConfiguration.fromKubeconfig(
            path: RealCluster.kubeconfig, namespace: RealCluster.namespace)
        try await KubernetesBackend.withBackend(kubernetes: kubernetes) { backend in
            let suite = BackendConformanceSuite(
                backend: backend, programs: .image(RealCluster.image), runDeadline: .seconds(600)
            ) { run, _ in
                let pods = try await backend.pods(of: run.id)
                return pods.compactMap { pod in
                    let phase = pod.status?.phase ?? "Pending"
                    return phase == "Succeeded" || phase == "Failed" ? nil : "pod \(pod.metadata.name ?? "?") (\(phase))"
                }
            }
            try await body(suite)
        }
    }

    @Test func conformance() async throws {
        try await withSuite { try await $0.runAll() }
    }
}

enum RealCluster {
    static var kubeconfig: String? { nonEmpty("TYGER_TEST_KUBECONFIG") }
    static var namespace: String { nonEmpty("TYGER_TEST_NAMESPACE") ?? "tyger-test" }
    static var image: String { nonEmpty("TYGER_TEST_CONFORMANCE_IMAGE") ?? "tyger-conformance:latest" }

    private static func nonEmpty(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
