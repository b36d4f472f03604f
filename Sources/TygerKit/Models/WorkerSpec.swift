/// The workers of a distributed run: which worker codespec, where, and how many replicas.
///
/// Its presence in a ``RunSpec`` makes the run distributed: the job starts only once every
/// endpoint of every replica accepts connections.
public struct WorkerSpec: Sendable, Hashable, Codable {
    /// The worker codespec: a name, a name and version, or inline.
    public var codespec: CodespecReference
    /// The node pool the workers run in, when the backend has pools.
    public var nodePool: String?
    /// How many worker replicas run; at least 1.
    public var replicas: Int

    /// Creates a worker target.
    public init(codespec: CodespecReference, nodePool: String? = nil, replicas: Int = 1) {
        self.codespec = codespec
        self.nodePool = nodePool
        self.replicas = replicas
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case codespec, nodePool, replicas
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        codespec = try CodespecReference.decode(from: container, forKey: .codespec, standingIn: .worker)
        nodePool = try container.decodeIfPresent(String.self, forKey: .nodePool)
        replicas = try container.decodeIfPresent(Int.self, forKey: .replicas) ?? 1
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(codespec, forKey: .codespec)
        try container.encodeIfPresent(nodePool, forKey: .nodePool)
        try container.encode(replicas, forKey: .replicas)
    }
}
