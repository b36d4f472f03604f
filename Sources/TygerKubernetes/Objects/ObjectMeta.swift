/// The metadata every Kubernetes object carries (`metav1.ObjectMeta`): the fields a client
/// sets (name, namespace, labels, annotations, owners) and those the server assigns (uid,
/// resourceVersion, timestamps).
///
/// Timestamps are RFC 3339 strings; see ``KubernetesTime``.
public struct ObjectMeta: Sendable, Hashable, Codable {
    /// The object's name, unique per kind in its namespace.
    public var name: String?
    /// A prefix from which the server generates a unique name when `name` is absent.
    public var generateName: String?
    /// The namespace the object lives in.
    public var namespace: String?
    /// The server-assigned unique identifier.
    public var uid: String?
    /// The server's opaque version of the object, for optimistic concurrency and watches.
    public var resourceVersion: String?
    /// The generation of the desired state, incremented by the server on spec changes.
    public var generation: Int?
    /// When the object was created (RFC 3339).
    public var creationTimestamp: String?
    /// When the object's deletion was requested (RFC 3339); present while finalizers run.
    public var deletionTimestamp: String?
    /// Identifying key-value pairs that selectors match.
    public var labels: [String: String]?
    /// Non-identifying key-value pairs.
    public var annotations: [String: String]?
    /// The objects whose deletion garbage-collects this one.
    public var ownerReferences: [OwnerReference]?
    /// Names of the controllers that must finish before the object is deleted.
    public var finalizers: [String]?

    /// Creates object metadata.
    public init(
        name: String? = nil,
        generateName: String? = nil,
        namespace: String? = nil,
        uid: String? = nil,
        resourceVersion: String? = nil,
        generation: Int? = nil,
        creationTimestamp: String? = nil,
        deletionTimestamp: String? = nil,
        labels: [String: String]? = nil,
        annotations: [String: String]? = nil,
        ownerReferences: [OwnerReference]? = nil,
        finalizers: [String]? = nil
    ) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
    }
}
