/// What runs in a pod and where (`PodSpec`).
public struct PodSpec: Sendable, Hashable, Codable {
    /// The containers, started together once every init container has succeeded.
    public var containers: [Container]
    /// Containers run one after another, each to completion, before `containers` start.
    public var initContainers: [Container]?
    /// `Always`, `OnFailure` or `Never`. Jobs allow only the last two, StatefulSets only `Always`.
    public var restartPolicy: String?
    /// Node labels a node must carry to run the pod.
    public var nodeSelector: [String: String]?
    /// Taints the pod tolerates.
    public var tolerations: [Toleration]?
    /// The service account the pod runs as.
    public var serviceAccountName: String?
    /// Volumes containers may mount.
    public var volumes: [Volume]?
    /// The pod's hostname; defaults to the pod name.
    public var hostname: String?
    /// With `hostname`, gives the pod the DNS name `<hostname>.<subdomain>.<namespace>.svc...`.
    public var subdomain: String?
    /// Seconds between the termination signal and the kill.
    public var terminationGracePeriodSeconds: Int?
    /// Whether Service environment variables (`<SVC>_SERVICE_HOST`, ...) are injected.
    public var enableServiceLinks: Bool?

    /// Creates a pod spec.
    public init(
        containers: [Container],
        initContainers: [Container]? = nil,
        restartPolicy: String? = nil,
        nodeSelector: [String: String]? = nil,
        tolerations: [Toleration]? = nil,
        serviceAccountName: String? = nil,
        volumes: [Volume]? = nil,
        hostname: String? = nil,
        subdomain: String? = nil,
        terminationGracePeriodSeconds: Int? = nil,
        enableServiceLinks: Bool? = nil
    ) {
        self.containers = containers
        self.initContainers = initContainers
        self.restartPolicy = restartPolicy
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.serviceAccountName = serviceAccountName
        self.volumes = volumes
        self.hostname = hostname
        self.subdomain = subdomain
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.enableServiceLinks = enableServiceLinks
    }

    enum CodingKeys: String, CodingKey {
        case containers, initContainers, restartPolicy, nodeSelector, tolerations, serviceAccountName, volumes
        case hostname, subdomain, terminationGracePeriodSeconds, enableServiceLinks
    }

    /// Decodes leniently: a pod spec without `containers` reads as having none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        containers = try container.decodeIfPresent([Container].self, forKey: .containers) ?? []
        initContainers = try container.decodeIfPresent([Container].self, forKey: .initContainers)
        restartPolicy = try container.decodeIfPresent(String.self, forKey: .restartPolicy)
        nodeSelector = try container.decodeIfPresent([String: String].self, forKey: .nodeSelector)
        tolerations = try container.decodeIfPresent([Toleration].self, forKey: .tolerations)
        serviceAccountName = try container.decodeIfPresent(String.self, forKey: .serviceAccountName)
        volumes = try container.decodeIfPresent([Volume].self, forKey: .volumes)
        hostname = try container.decodeIfPresent(String.self, forKey: .hostname)
        subdomain = try container.decodeIfPresent(String.self, forKey: .subdomain)
        terminationGracePeriodSeconds = try container.decodeIfPresent(Int.self, forKey: .terminationGracePeriodSeconds)
        enableServiceLinks = try container.decodeIfPresent(Bool.self, forKey: .enableServiceLinks)
    }
}
