/// A `v1` Service. TygerKit creates a headless one (`clusterIP: None`) per distributed run so
/// that each worker replica has a stable DNS name.
public struct Service: KubernetesObject {
    public static let objectAPIVersion = "v1"
    public static let objectKind = "Service"
    public static let resource = "services"

    /// Always `v1` when created here.
    public var apiVersion: String
    /// Always `Service` when created here.
    public var kind: String
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: Spec?

    /// Creates a Service.
    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.apiVersion = Self.objectAPIVersion
        self.kind = Self.objectKind
        self.metadata = metadata
        self.spec = spec
    }

    /// A Service's desired state (`ServiceSpec`).
    public struct Spec: Sendable, Hashable, Codable {
        /// `None` for a headless Service, whose DNS names resolve to the pods themselves.
        public var clusterIP: String?
        /// The labels of the pods the Service routes to.
        public var selector: [String: String]?
        /// The ports it exposes; every port needs a `name` when there is more than one.
        public var ports: [Port]?
        /// Whether DNS lists pods before they are ready.
        public var publishNotReadyAddresses: Bool?
        /// `ClusterIP` (the default), `NodePort`, `LoadBalancer` or `ExternalName`.
        public var type: String?

        /// Creates a Service spec.
        public init(
            clusterIP: String? = nil,
            selector: [String: String]? = nil,
            ports: [Port]? = nil,
            publishNotReadyAddresses: Bool? = nil,
            type: String? = nil
        ) {
            self.clusterIP = clusterIP
            self.selector = selector
            self.ports = ports
            self.publishNotReadyAddresses = publishNotReadyAddresses
            self.type = type
        }
    }

    /// A port a Service exposes (`ServicePort`).
    public struct Port: Sendable, Hashable, Codable {
        /// A DNS-1123 label, unique within the Service; required when there are several ports.
        public var name: String?
        /// The port the Service listens on.
        public var port: Int
        /// The pods' port: a number or a container port name.
        public var targetPort: IntOrString?
        /// `TCP` (the default), `UDP` or `SCTP`.
        public var `protocol`: String?

        /// Creates a Service port.
        public init(name: String? = nil, port: Int, targetPort: IntOrString? = nil, protocol: String? = nil) {
            self.name = name
            self.port = port
            self.targetPort = targetPort
            self.protocol = `protocol`
        }
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec
    }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeMetaKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try type.typeMeta(.apiVersion, default: Self.objectAPIVersion)
        kind = try type.typeMeta(.kind, default: Self.objectKind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(Spec.self, forKey: .spec)
    }
}
