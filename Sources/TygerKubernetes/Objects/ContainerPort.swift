/// A port a container listens on (`ContainerPort`).
public struct ContainerPort: Sendable, Hashable, Codable {
    /// An IANA service name (at most 15 characters), unique within the pod; optional.
    public var name: String?
    /// The port number, 1-65535.
    public var containerPort: Int
    /// `TCP` (the default), `UDP` or `SCTP`.
    public var `protocol`: String?

    /// Creates a container port.
    public init(name: String? = nil, containerPort: Int, protocol: String? = nil) {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
    }
}
