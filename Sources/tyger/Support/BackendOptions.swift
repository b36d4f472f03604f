import ArgumentParser
import Foundation
import TygerKit
import TygerKubernetes

/// Which backend a command talks to: `--backend`, else `$TYGER_BACKEND`, else local.
///
/// The local backend keeps codespecs and runs under `$TYGER_HOME`; the Kubernetes backend
/// uses the cluster of the current kubeconfig context (or the in-cluster service account)
/// and keeps codespecs there too, so a team shares them.
struct BackendOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case local
        case kubernetes
    }

    @Option(help: "The backend: local or kubernetes (default: $TYGER_BACKEND, else local).")
    var backend: Kind?

    @Option(help: "Kubernetes: the namespace (default: the kubeconfig context's).")
    var namespace: String?

    @Option(help: "Kubernetes: the kubeconfig context (default: the current one).")
    var context: String?

    func kind() throws -> Kind {
        if let backend { return backend }
        guard let text = ProcessInfo.processInfo.environment["TYGER_BACKEND"], !text.isEmpty else { return .local }
        guard let kind = Kind(rawValue: text) else {
            throw ValidationError("TYGER_BACKEND is '\(text)'; allowed: local, kubernetes")
        }
        return kind
    }

    /// Runs `body` with a client for the chosen backend and closes the backend afterwards.
    /// A local backend cancels the runs it executes when it closes, as `run exec` wants.
    func withClient<Result: Sendable>(_ body: (TygerClient) async throws -> Result) async throws -> Result {
        switch try kind() {
        case .local:
            return try await LocalBackend.withBackend { backend in
                try await body(TygerClient(store: FileCodespecStore(), backend: backend))
            }
        case .kubernetes:
            return try await KubernetesBackend.withBackend(kubernetes: try kubernetesConfiguration()) { backend in
                try await body(TygerClient(store: ConfigMapCodespecStore(client: backend.client), backend: backend))
            }
        }
    }

    /// The loaders check `--namespace` (a DNS-1123 label) before anything reaches the cluster.
    private func kubernetesConfiguration() throws -> KubernetesConfiguration {
        if context != nil {
            return try KubernetesConfiguration.fromKubeconfig(context: context, namespace: namespace)
        }
        return try KubernetesConfiguration.automatic(namespace: namespace)
    }
}
