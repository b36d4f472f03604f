/// CPU and memory amounts, as Kubernetes quantities.
public struct ResourceAmounts: Sendable, Hashable, Codable {
    /// CPU cores: `1`, `500m`, `2.5`.
    public var cpu: Quantity?
    /// Memory bytes: `512Mi`, `4G`, `1Gi`.
    public var memory: Quantity?

    /// Creates resource amounts.
    public init(cpu: Quantity? = nil, memory: Quantity? = nil) {
        self.cpu = cpu
        self.memory = memory
    }

    /// True when neither CPU nor memory is given.
    public var isEmpty: Bool { cpu == nil && memory == nil }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case cpu, memory
    }
}

/// What a codespec asks of the machine it runs on.
///
/// On Kubernetes these become the container's requests and limits; `gpu` becomes
/// `nvidia.com/gpu` and `shm` a memory-backed volume at `/dev/shm`.
public struct CodespecResources: Sendable, Codable {
    /// The amounts the scheduler reserves.
    public var requests: ResourceAmounts?
    /// The amounts the code may not exceed.
    public var limits: ResourceAmounts?
    /// Number of GPUs.
    public var gpu: Quantity?
    /// Size of the shared-memory volume at `/dev/shm`.
    public var shm: Quantity?

    /// Creates resources.
    public init(
        requests: ResourceAmounts? = nil,
        limits: ResourceAmounts? = nil,
        gpu: Quantity? = nil,
        shm: Quantity? = nil
    ) {
        self.requests = requests
        self.limits = limits
        self.gpu = gpu
        self.shm = shm
    }

    /// True when nothing is requested or limited.
    public var isEmpty: Bool {
        (requests?.isEmpty ?? true) && (limits?.isEmpty ?? true) && gpu == nil && shm == nil
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case requests, limits, gpu, shm
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if let requests, !requests.isEmpty { try container.encode(requests, forKey: .requests) }
        if let limits, !limits.isEmpty { try container.encode(limits, forKey: .limits) }
        try container.encodeIfPresent(gpu, forKey: .gpu)
        try container.encodeIfPresent(shm, forKey: .shm)
    }
}

extension CodespecResources: Hashable {
    /// An empty `requests: {}` equals an absent one; quantities compare by value.
    public static func == (lhs: CodespecResources, rhs: CodespecResources) -> Bool {
        lhs.normalizedRequests == rhs.normalizedRequests && lhs.normalizedLimits == rhs.normalizedLimits
            && lhs.gpu == rhs.gpu && lhs.shm == rhs.shm
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(normalizedRequests)
        hasher.combine(normalizedLimits)
        hasher.combine(gpu)
        hasher.combine(shm)
    }

    private var normalizedRequests: ResourceAmounts { requests ?? ResourceAmounts() }
    private var normalizedLimits: ResourceAmounts { limits ?? ResourceAmounts() }
}
