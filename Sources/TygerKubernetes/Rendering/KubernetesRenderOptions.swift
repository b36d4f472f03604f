import TygerKit

/// Cluster-specific choices for ``RunRenderer``: how node pools, labels and the worker wait
/// are expressed. The namespace is not one of them: the renderer takes it as a parameter, and
/// ``KubernetesBackend`` uses its client's, so the backend and its codespec store never
/// target different namespaces.
///
/// ```swift
/// var options = KubernetesRenderOptions()
/// options.waitImage = "registry.example.com/busybox:1.36"
/// let rendered = try RunRenderer.render(runID: id, run: resolved, namespace: "research", options: options)
/// ```
public struct KubernetesRenderOptions: Sendable, Hashable {
    /// The node label a node pool name is matched against (`nodeSelector: {agentpool: <pool>}`).
    public var nodePoolLabel: String = "agentpool"
    /// The toleration added to pods that ask for a node pool, so that they may run on pools
    /// tainted for Tyger. Upstream Tyger's is `tyger=run:NoSchedule`.
    public var nodePoolToleration = Toleration(key: "tyger", operator: "Equal", value: "run", effect: "NoSchedule")
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

    /// Creates the default options.
    public init() {}
}
