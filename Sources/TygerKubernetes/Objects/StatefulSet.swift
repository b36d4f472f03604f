/// An `apps/v1` StatefulSet: replicas with stable names `<name>-0`, `<name>-1`, ... A
/// distributed run's worker codespec becomes one.
public struct StatefulSet: KubernetesObject {
    public static let objectAPIVersion = "apps/v1"
    public static let objectKind = "StatefulSet"
    public static let resource = "statefulsets"

    /// Always `apps/v1` when created here.
    public var apiVersion: String
    /// Always `StatefulSet` when created here.
    public var kind: String
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: Spec?
    /// The observed state, written by the StatefulSet controller.
    public var status: Status?

    /// Creates a StatefulSet.
    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.apiVersion = Self.objectAPIVersion
        self.kind = Self.objectKind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// A StatefulSet's desired state (`StatefulSetSpec`).
    public struct Spec: Sendable, Hashable, Codable {
        /// How many pods to run.
        public var replicas: Int?
        /// The headless Service that gives the pods their DNS names.
        public var serviceName: String?
        /// `OrderedReady` (the default: one at a time) or `Parallel`.
        public var podManagementPolicy: String?
        /// Must match the template's labels.
        public var selector: LabelSelector
        /// The pods to run; `restartPolicy` must be `Always`.
        public var template: PodTemplateSpec

        /// Creates a StatefulSet spec.
        public init(
            replicas: Int? = nil,
            serviceName: String? = nil,
            podManagementPolicy: String? = nil,
            selector: LabelSelector,
            template: PodTemplateSpec
        ) {
            self.replicas = replicas
            self.serviceName = serviceName
            self.podManagementPolicy = podManagementPolicy
            self.selector = selector
            self.template = template
        }
    }

    /// A StatefulSet's observed state (`StatefulSetStatus`).
    public struct Status: Sendable, Hashable, Codable {
        /// Pods created.
        public var replicas: Int?
        /// Pods whose readiness probe passes.
        public var readyReplicas: Int?
        /// Pods ready for at least `minReadySeconds`.
        public var availableReplicas: Int?
        /// Pods at the current revision.
        public var currentReplicas: Int?

        /// Creates a StatefulSet status.
        public init(
            replicas: Int? = nil, readyReplicas: Int? = nil, availableReplicas: Int? = nil,
            currentReplicas: Int? = nil
        ) {
            self.replicas = replicas
            self.readyReplicas = readyReplicas
            self.availableReplicas = availableReplicas
            self.currentReplicas = currentReplicas
        }
    }

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeMetaKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try type.typeMeta(.apiVersion, default: Self.objectAPIVersion)
        kind = try type.typeMeta(.kind, default: Self.objectKind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(Spec.self, forKey: .spec)
        status = try container.decodeIfPresent(Status.self, forKey: .status)
    }
}
