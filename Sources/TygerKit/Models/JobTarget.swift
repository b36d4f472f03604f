/// The job of a run: which codespec runs, where, and how many replicas.
public struct JobTarget: Sendable, Hashable, Codable {
    /// The job codespec: a name, a name and version, or inline.
    public var codespec: CodespecReference
    /// The node pool the job runs in, when the backend has pools.
    public var nodePool: String?
    /// How many replicas of the job run; at least 1.
    public var replicas: Int
    /// Buffer IDs for the codespec's buffer parameters, by parameter name.
    public var buffers: [String: String]
    /// Tags for buffers the run creates.
    public var tags: [String: String]
    /// How long buffers the run creates live, as a TimeSpan such as `1.00:00:00` (a day).
    public var bufferTtl: String?

    /// Creates a job target.
    public init(
        codespec: CodespecReference,
        nodePool: String? = nil,
        replicas: Int = 1,
        buffers: [String: String] = [:],
        tags: [String: String] = [:],
        bufferTtl: String? = nil
    ) {
        self.codespec = codespec
        self.nodePool = nodePool
        self.replicas = replicas
        self.buffers = buffers
        self.tags = tags
        self.bufferTtl = bufferTtl
    }

    /// In the order Tyger writes them.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case codespec, buffers, tags, bufferTtl, nodePool, replicas
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        codespec = try CodespecReference.decode(from: container, forKey: .codespec, standingIn: .job)
        nodePool = try container.decodeIfPresent(String.self, forKey: .nodePool)
        replicas = try container.decodeIfPresent(Int.self, forKey: .replicas) ?? 1
        buffers = try container.decodeIfPresent([String: String].self, forKey: .buffers) ?? [:]
        tags = try container.decodeIfPresent([String: String].self, forKey: .tags) ?? [:]
        bufferTtl = try container.decodeIfPresent(String.self, forKey: .bufferTtl)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(codespec, forKey: .codespec)
        if !buffers.isEmpty { try container.encode(SortedStringMap(buffers), forKey: .buffers) }
        if !tags.isEmpty { try container.encode(SortedStringMap(tags), forKey: .tags) }
        try container.encodeIfPresent(bufferTtl, forKey: .bufferTtl)
        try container.encodeIfPresent(nodePool, forKey: .nodePool)
        try container.encode(replicas, forKey: .replicas)
    }
}
