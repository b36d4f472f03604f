/// What a backend can honour. ``TygerClient`` refuses a run that asks for something its
/// backend lacks, naming the field, before anything starts.
public struct BackendCapabilities: Sendable, Hashable {
    /// The backend places runs on named node pools (`job.nodePool`, `worker.nodePool`).
    public var nodePools: Bool
    /// The backend can give codespecs GPUs (`resources.gpu`).
    public var gpus: Bool
    /// The backend runs container images: `image` is required and used. Otherwise it runs
    /// `command`, which is then required.
    public var containerImages: Bool
    /// The backend serves several named clusters (`cluster`).
    public var clusters: Bool
    /// The backend moves buffer data: codespec `buffers` and `sockets`, run `job.buffers`.
    public var buffers: Bool
    /// The backend can pull a run's images before it starts (`run create --pull`).
    public var imagePulls: Bool

    /// Creates capabilities.
    public init(
        nodePools: Bool = false, gpus: Bool = false, containerImages: Bool = false, clusters: Bool = false,
        buffers: Bool = false, imagePulls: Bool = false
    ) {
        self.nodePools = nodePools
        self.gpus = gpus
        self.containerImages = containerImages
        self.clusters = clusters
        self.buffers = buffers
        self.imagePulls = imagePulls
    }
}
