import TygerKit

/// Cluster-specific choices for ``RunRenderer``: where pods may go, which service accounts
/// identities map to, labels and the worker wait. The namespace is not one of them: the
/// renderer takes it as a parameter, and ``KubernetesBackend`` uses its client's, so the
/// backend and its codespec store never target different namespaces.
///
/// The defaults fit a cluster installed by Tyger's installer: every pod selects nodes labelled
/// `tyger=run` and tolerates their `tyger=run:NoSchedule` taint, GPU pods also tolerate
/// `sku=gpu:NoSchedule`, and an identity `x` runs as the service account `tyger-custom-x-job`.
/// ``plainCluster`` fits any other cluster.
///
/// ```swift
/// var options = KubernetesRenderOptions.plainCluster
/// options.waitImage = "registry.example.com/busybox:1.36"
/// let rendered = try RunRenderer.render(runID: id, run: resolved, namespace: "research", options: options)
/// ```
public struct KubernetesRenderOptions: Sendable, Hashable {
    /// The node label a node pool name is matched against (`nodeSelector: {agentpool: <pool>}`).
    public var nodePoolLabel: String = "agentpool"
    /// The node labels every pod of a run selects, node pool or not. Tyger's installer labels
    /// its run nodes `tyger=run`.
    public var nodeSelector: [String: String] = ["tyger": "run"]
    /// The tolerations every pod of a run carries. Tyger's installer taints its run nodes
    /// `tyger=run:NoSchedule`.
    public var tolerations: [Toleration] = [Toleration(key: "tyger", operator: "Equal", value: "run", effect: "NoSchedule")]
    /// The toleration added to pods of codespecs that ask for GPUs (any `resources.gpu`), as
    /// Tyger's installer taints GPU pools `sku=gpu:NoSchedule`; `nil` for none.
    public var gpuToleration: Toleration? = Toleration(key: "sku", operator: "Equal", value: "gpu", effect: "NoSchedule")
    /// Which service account a codespec's `identity` runs as.
    public var identities: IdentityMapping = .tygerRelease("tyger")
    /// The image of the job's init container that waits until every worker endpoint accepts
    /// connections. It must provide `sh`, `nc` (with `-z` and `-w`) and `nslookup`, as
    /// BusyBox does.
    public var waitImage: String = "busybox:1.36"
    /// Seconds after the Job finishes before Kubernetes deletes it and, through owner
    /// references, the worker StatefulSet and Service; `nil` keeps them until deleted.
    public var ttlSecondsAfterFinished: Int? = 600
    /// The prefix of the labels TygerKit sets: `<labelDomain>/run` and `<labelDomain>/role`.
    public var labelDomain: String = "tyger.dev"

    /// The longest discovery list passed in an environment variable; longer lists go to
    /// ConfigMaps mounted as files. A knob for tests only.
    package var discoveryInlineLimit: Int = DiscoveryVariables.inlineLimit

    /// Creates the default options, for a cluster installed by Tyger's installer.
    public init() {}

    /// Options for a cluster that Tyger's installer did not prepare: no node selector or
    /// tolerations beyond a node pool's own label, and `identity` is a service account name.
    public static var plainCluster: KubernetesRenderOptions {
        var options = KubernetesRenderOptions()
        options.nodeSelector = [:]
        options.tolerations = []
        options.gpuToleration = nil
        options.identities = .serviceAccountName
        return options
    }

    /// How a codespec's `identity` becomes a pod's service account.
    public enum IdentityMapping: Sendable, Hashable {
        /// The identity is the service account's name; pods without one get the namespace's default.
        case serviceAccountName
        /// As Tyger's Helm chart for release `release` names them: identity `x` runs as
        /// `<release>-custom-x-job`; job pods without an identity run as `<release>-job`, and
        /// worker pods without one get the namespace's default.
        case tygerRelease(String)

        /// The service account of a pod with `identity`, for the job or a worker.
        public func serviceAccount(identity: String?, role: RunRole) -> String? {
            switch self {
            case .serviceAccountName:
                return identity
            case .tygerRelease(let release):
                if let identity, !identity.isEmpty { return "\(release)-custom-\(identity)-job" }
                return role == .job ? "\(release)-job" : nil
            }
        }
    }

    /// The label that tells Azure workload identity's webhook whether to inject a pod's
    /// credentials; Tyger sets it on every pod, `true` when the codespec has an identity.
    public static let workloadIdentityLabel = "azure.workload.identity/use"
}
