/// A container's resource requests and limits (`ResourceRequirements`).
///
/// Keys are resource names (`cpu`, `memory`, `nvidia.com/gpu`); values are quantities kept
/// as text, exactly as written (`500m`, `4Gi`): the API server may answer them in canonical
/// form (`0.5` for `500m`).
public struct ResourceRequirements: Sendable, Hashable, Codable {
    /// The amounts the scheduler reserves.
    public var requests: [String: String]?
    /// The amounts the container may not exceed.
    public var limits: [String: String]?

    /// Creates resource requirements.
    public init(requests: [String: String]? = nil, limits: [String: String]? = nil) {
        self.requests = requests
        self.limits = limits
    }
}
