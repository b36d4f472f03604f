import Foundation
import Testing
import TygerKit
import TygerKubernetes
import TygerTestSupport

@Suite("In-cluster and automatic configuration")
struct InClusterConfigurationTests {
    /// A service-account folder as the kubelet mounts it.
    private func serviceAccount(namespace: String? = "tyger-system") throws -> (TemporaryDirectory, TestCertificates) {
        let certificates = try TestCertificates.load()
        let dir = try TemporaryDirectory()
        try dir.write("token", "sa-token\n")
        try dir.write("ca.crt", certificates.ca.certificatePEM)
        if let namespace { try dir.write("namespace", namespace) }
        return (dir, certificates)
    }

    @Test func loadsServerTokenFileCAAndNamespace() throws {
        let (dir, certificates) = try serviceAccount()
        defer { dir.remove() }
        let configuration = try KubernetesConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: dir.path)
        #expect(configuration.server.absoluteString == "https://10.96.0.1:443")
        #expect(configuration.namespace == "tyger-system")
        #expect(configuration.credentials.bearerToken == .file(dir.url.appendingPathComponent("token").path))
        #expect(configuration.certificateAuthority == certificates.ca.certificatePEM)
        #expect(configuration.insecureSkipTLSVerify == false)
    }

    @Test func bracketsAnIPv6ServiceAddress() throws {
        let (dir, _) = try serviceAccount()
        defer { dir.remove() }
        let configuration = try KubernetesConfiguration.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "6443"],
            serviceAccountDirectory: dir.path)
        #expect(configuration.server.absoluteString == "https://[fd00:10:96::1]:6443")
    }

    @Test func namespaceDefaultsWithoutTheFileAndCanBeOverridden() throws {
        let (dir, _) = try serviceAccount(namespace: nil)
        defer { dir.remove() }
        let environment = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        #expect(
            try KubernetesConfiguration.inCluster(environment: environment, serviceAccountDirectory: dir.path).namespace
                == "default")
        #expect(
            try KubernetesConfiguration.inCluster(
                environment: environment, serviceAccountDirectory: dir.path, namespace: "x"
            )
            .namespace == "x")
    }

    @Test func missingEnvironmentIsAnError() throws {
        let (dir, _) = try serviceAccount()
        defer { dir.remove() }
        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1"], serviceAccountDirectory: dir.path)
        }
        #expect(error?.message.contains("KUBERNETES_SERVICE_PORT") == true)
    }

    @Test func missingTokenIsAnErrorNamingTheFile() throws {
        let (dir, _) = try serviceAccount()
        defer { dir.remove() }
        try FileManager.default.removeItem(at: dir.url.appendingPathComponent("token"))
        let error = #expect(throws: TygerError.self) {
            try KubernetesConfiguration.inCluster(
                environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
                serviceAccountDirectory: dir.path)
        }
        #expect(error?.message.contains(dir.url.appendingPathComponent("token").path) == true)
    }

    @Test func automaticPrefersInClusterOnlyWhenBothSignalsArePresent() throws {
        let (dir, _) = try serviceAccount()
        defer { dir.remove() }
        let kubeconfig = try dir.write(
            "kube/config",
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://from-kubeconfig.test"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        let inPod = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443", "KUBECONFIG": kubeconfig]

        let automatic = try KubernetesConfiguration.automatic(environment: inPod, serviceAccountDirectory: dir.path)
        #expect(automatic.server.absoluteString == "https://10.0.0.1:443")

        // No token file: not in a pod after all.
        let noToken = try KubernetesConfiguration.automatic(
            environment: inPod, serviceAccountDirectory: dir.url.appendingPathComponent("elsewhere").path)
        #expect(noToken.server.absoluteString == "https://from-kubeconfig.test")

        // No service host: kubeconfig.
        let outside = try KubernetesConfiguration.automatic(
            environment: ["KUBECONFIG": kubeconfig], serviceAccountDirectory: dir.path)
        #expect(outside.server.absoluteString == "https://from-kubeconfig.test")

        // An explicit kubeconfig wins even in a pod.
        let explicit = try KubernetesConfiguration.automatic(
            kubeconfigPath: kubeconfig, environment: inPod, serviceAccountDirectory: dir.path)
        #expect(explicit.server.absoluteString == "https://from-kubeconfig.test")
    }
}
