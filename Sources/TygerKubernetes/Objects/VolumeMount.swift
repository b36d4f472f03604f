/// Where a volume appears in a container (`VolumeMount`).
public struct VolumeMount: Sendable, Hashable, Codable {
    /// The name of a volume of the pod.
    public var name: String
    /// The absolute path in the container.
    public var mountPath: String
    /// Whether the mount is read-only.
    public var readOnly: Bool?
    /// A path inside the volume to mount instead of its root.
    public var subPath: String?

    /// Creates a volume mount.
    public init(name: String, mountPath: String, readOnly: Bool? = nil, subPath: String? = nil) {
        self.name = name
        self.mountPath = mountPath
        self.readOnly = readOnly
        self.subPath = subPath
    }
}
