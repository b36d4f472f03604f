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

    /// The same choice as command-line arguments, for a process this one starts.
    var arguments: [String] {
        var arguments: [String] = []
        if let backend { arguments += ["--backend", backend.rawValue] }
        if let namespace { arguments += ["--namespace", namespace] }
        if let context { arguments += ["--context", context] }
        return arguments
    }

    func kind() throws -> Kind {
        if let backend { return backend }
        guard let text = ProcessInfo.processInfo.environment["TYGER_BACKEND"], !text.isEmpty else { return .local }
        guard let kind = Kind(rawValue: text) else {
            throw ValidationError("TYGER_BACKEND is '\(text)'; allowed: local, kubernetes")
        }
        return kind
    }

    /// Runs `body` with a client for the chosen backend and shuts the backend down afterwards:
    /// a local backend cancels the runs it executes, a Kubernetes backend stops supervising
    /// the runs it created (the cluster goes on running them).
    func withClient<Result: Sendable>(_ body: (TygerClient) async throws -> Result) async throws -> Result {
        switch try kind() {
        case .local:
            return try await LocalBackend.withBackend { backend in
                try await body(TygerClient(store: FileCodespecStore(), backend: backend))
            }
        case .kubernetes:
            return try await KubernetesBackend.withBackend(kubernetes: try kubernetesConfiguration()) { backend in
                try await body(TygerClient(store: backend.codespecStore, backend: backend))
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
