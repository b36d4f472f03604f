import ArgumentParser
import Foundation
import Logging
import TygerDocker
import TygerKit
import TygerKubernetes

/// Which backend a command talks to: `--backend`, else `$TYGER_BACKEND`, else local.
///
/// The local backend keeps codespecs and runs under `$TYGER_HOME`; the Kubernetes backend
/// uses the cluster of the current kubeconfig context (or the in-cluster service account)
/// and keeps codespecs there too, so a team shares them; the container backend runs images
/// on the engine `DOCKER_HOST` names (else Docker's or Podman's usual socket), with
/// codespecs and run records under `$TYGER_HOME`.
struct BackendOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case local
        case kubernetes
        case docker
    }

    @Option(help: "The backend: local, kubernetes or docker (default: $TYGER_BACKEND, else local).")
    var backend: Kind?

    @Option(help: "Kubernetes: the namespace (default: the kubeconfig context's).")
    var namespace: String?

    @Option(help: "Kubernetes: the kubeconfig context (default: the current one).")
    var context: String?

    @Option(help: "How much the backends tell on standard error: trace, debug, info, warn or error (default: warn).")
    var logLevel: LogLevelName?

    @OptionGroup var render: RenderFlags

    /// The same choice as command-line arguments, for a process this one starts.
    var arguments: [String] {
        var arguments: [String] = []
        if let backend { arguments += ["--backend", backend.rawValue] }
        if let namespace { arguments += ["--namespace", namespace] }
        if let context { arguments += ["--context", context] }
        if let logLevel { arguments += ["--log-level", logLevel.rawValue] }
        return arguments + render.arguments
    }

    /// The logger every backend reports through: standard error, at `--log-level`.
    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = (logLevel ?? .warn).level
        return logger
    }

    func kind() throws -> Kind {
        if let backend { return backend }
        guard let text = ProcessInfo.processInfo.environment["TYGER_BACKEND"], !text.isEmpty else { return .local }
        guard let kind = Kind(rawValue: text) else {
            throw ValidationError("TYGER_BACKEND is '\(text)'; allowed: local, kubernetes, docker")
        }
        return kind
    }

    /// Runs `body` with a client for the chosen backend and shuts the backend down afterwards:
    /// a local or container backend cancels the runs it executes, a Kubernetes backend stops
    /// supervising the runs it created (the cluster goes on running them).
    func withClient<Result: Sendable>(_ body: (TygerClient) async throws -> Result) async throws -> Result {
        switch try kind() {
        case .local:
            var configuration = LocalBackend.Configuration()
            configuration.logger = logger("TygerKit.LocalBackend")
            return try await LocalBackend.withBackend(configuration: configuration) { backend in
                try await body(TygerClient(store: FileCodespecStore(), backend: backend))
            }
        case .kubernetes:
            var configuration = KubernetesBackend.Configuration()
            configuration.logger = logger("TygerKit.KubernetesBackend")
            configuration.render = try render.options()
            return try await KubernetesBackend.withBackend(
                kubernetes: try kubernetesConfiguration(), configuration: configuration
            ) { backend in
                try await body(TygerClient(store: backend.codespecStore, backend: backend))
            }
        case .docker:
            var configuration = DockerBackend.Configuration()
            configuration.logger = logger("TygerKit.DockerBackend")
            return try await DockerBackend.withBackend(configuration: configuration) { backend in
                try await body(TygerClient(store: FileCodespecStore(), backend: backend))
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

/// `--log-level`, with the names of Tyger's CLI, case-insensitive.
enum LogLevelName: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, warn, error

    init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }

    var level: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .warn: .warning
        case .error: .error
        }
    }
}

/// How runs become Kubernetes objects, from flags or the environment (a flag wins):
/// `--cluster-profile tyger|plain` (`TYGER_KUBERNETES_PROFILE`), `--tyger-release NAME`
/// (`TYGER_KUBERNETES_RELEASE`), `--wait-image IMAGE` (`TYGER_KUBERNETES_WAIT_IMAGE`) and
/// `--node-pool-label KEY` (`TYGER_KUBERNETES_NODE_POOL_LABEL`).
struct RenderFlags: ParsableArguments {
    enum Profile: String, ExpressibleByArgument, CaseIterable {
        /// A cluster installed by Tyger's installer: `tyger=run` nodes, its service accounts.
        case tyger
        /// Any other cluster: no node selector or tolerations, identities are service accounts.
        case plain
    }

    @Option(help: "Kubernetes: tyger (a cluster Tyger's installer set up; the default) or plain (any other cluster).")
    var clusterProfile: Profile?

    @Option(help: "Kubernetes: the Helm release of the Tyger install, which names identities' service accounts (default: tyger).")
    var tygerRelease: String?

    @Option(help: "Kubernetes: the image of the job's init container that waits for the workers (default: busybox:1.36).")
    var waitImage: String?

    @Option(help: "Kubernetes: the node label a node pool name is matched against (default: agentpool).")
    var nodePoolLabel: String?

    var arguments: [String] {
        var arguments: [String] = []
        if let clusterProfile { arguments += ["--cluster-profile", clusterProfile.rawValue] }
        if let tygerRelease { arguments += ["--tyger-release", tygerRelease] }
        if let waitImage { arguments += ["--wait-image", waitImage] }
        if let nodePoolLabel { arguments += ["--node-pool-label", nodePoolLabel] }
        return arguments
    }

    func options(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> KubernetesRenderOptions {
        func value(_ flag: String?, _ variable: String) -> String? {
            flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        }
        var profile = Profile.tyger
        if let chosen = clusterProfile {
            profile = chosen
        } else if let text = value(nil, "TYGER_KUBERNETES_PROFILE") {
            guard let parsed = Profile(rawValue: text) else {
                throw CommandLineError("TYGER_KUBERNETES_PROFILE is '\(text)'; allowed: tyger, plain")
            }
            profile = parsed
        }
        var options = profile == .plain ? KubernetesRenderOptions.plainCluster : KubernetesRenderOptions()
        if let release = value(tygerRelease, "TYGER_KUBERNETES_RELEASE") {
            guard profile == .tyger else {
                throw CommandLineError("--tyger-release names service accounts of a Tyger install; it needs --cluster-profile tyger")
            }
            options.identities = .tygerRelease(release)
        }
        if let image = value(waitImage, "TYGER_KUBERNETES_WAIT_IMAGE") { options.waitImage = image }
        if let label = value(nodePoolLabel, "TYGER_KUBERNETES_NODE_POOL_LABEL") { options.nodePoolLabel = label }
        return options
    }
}
