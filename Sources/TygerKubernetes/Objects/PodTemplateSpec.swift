/// The pods a Job or StatefulSet creates: their metadata (labels) and spec.
public struct PodTemplateSpec: Sendable, Hashable, Codable {
    /// Labels and annotations each pod gets; the owner's selector must match the labels.
    public var metadata: ObjectMeta?
    /// The pods' spec.
    public var spec: PodSpec?

    /// Creates a pod template.
    public init(metadata: ObjectMeta? = nil, spec: PodSpec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }
}
