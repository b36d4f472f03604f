/// A `v1` Pod. TygerKit never creates pods itself; it reads those its Jobs and StatefulSets
/// create, to report status, exit codes and logs.
///
/// Timestamps are RFC 3339 strings; see ``KubernetesTime``.
public struct Pod: KubernetesObject {
    public static let objectAPIVersion = "v1"
    public static let objectKind = "Pod"
    public static let resource = "pods"

    /// Always `v1` when created here.
    public var apiVersion: String
    /// Always `Pod` when created here.
    public var kind: String
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: PodSpec?
    /// The observed state, written by the kubelet.
    public var status: Status?

    /// Creates a Pod.
    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: Status? = nil) {
        self.apiVersion = Self.objectAPIVersion
        self.kind = Self.objectKind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// A pod's observed state (`PodStatus`).
    public struct Status: Sendable, Hashable, Codable {
        /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
        public var phase: String?
        /// `PodScheduled`, `Initialized`, `ContainersReady`, `Ready`, ...
        public var conditions: [Condition]?
        /// A one-word reason for the pod's state, such as `Evicted`.
        public var reason: String?
        /// A human-readable explanation.
        public var message: String?
        /// The pod's IP address.
        public var podIP: String?
        /// The node's IP address.
        public var hostIP: String?
        /// When the kubelet accepted the pod (RFC 3339).
        public var startTime: String?
        /// The states of the containers.
        public var containerStatuses: [ContainerStatus]?
        /// The states of the init containers.
        public var initContainerStatuses: [ContainerStatus]?

        /// Creates a pod status.
        public init(
            phase: String? = nil,
            conditions: [Condition]? = nil,
            reason: String? = nil,
            message: String? = nil,
            podIP: String? = nil,
            hostIP: String? = nil,
            startTime: String? = nil,
            containerStatuses: [ContainerStatus]? = nil,
            initContainerStatuses: [ContainerStatus]? = nil
        ) {
            self.phase = phase
            self.conditions = conditions
            self.reason = reason
            self.message = message
            self.podIP = podIP
            self.hostIP = hostIP
            self.startTime = startTime
            self.containerStatuses = containerStatuses
            self.initContainerStatuses = initContainerStatuses
        }
    }

    /// A condition of a pod (`PodCondition`): `Ready`, `Initialized`, `PodScheduled`, ...
    public typealias Condition = ObjectCondition

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeMetaKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try type.typeMeta(.apiVersion, default: Self.objectAPIVersion)
        kind = try type.typeMeta(.kind, default: Self.objectKind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(PodSpec.self, forKey: .spec)
        status = try container.decodeIfPresent(Status.self, forKey: .status)
    }
}
