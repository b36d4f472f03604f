/// What a backend can honour, so a client can refuse a run it would execute wrongly.
public struct BackendCapabilities: Sendable, Hashable {
    /// The backend places runs on named node pools (`nodePool`).
    public var nodePools: Bool
    /// The backend can give codespecs GPUs (`resources.gpu`).
    public var gpus: Bool
    /// The backend runs container images (`image` is required and used).
    public var containerImages: Bool
    /// The backend enforces CPU and memory requests and limits.
    public var resourceLimits: Bool
    /// The backend serves several named clusters (`cluster`).
    public var clusters: Bool

    /// Creates capabilities.
    public init(
        nodePools: Bool = false,
        gpus: Bool = false,
        containerImages: Bool = false,
        resourceLimits: Bool = false,
        clusters: Bool = false
    ) {
        self.nodePools = nodePools
        self.gpus = gpus
        self.containerImages = containerImages
        self.resourceLimits = resourceLimits
        self.clusters = clusters
    }
}
