/// A container in a pod (`Container`): image, entry point, environment, ports, resources.
///
/// `command` and `args` are not run through a shell; Kubernetes expands `$(NAME)` in them
/// and in `env` values from the container's environment.
public struct Container: Sendable, Hashable, Codable {
    /// A DNS-1123 label, unique within the pod.
    public var name: String
    /// The container image.
    public var image: String?
    /// Replaces the image's entry point.
    public var command: [String]?
    /// Replaces the image's default arguments.
    public var args: [String]?
    /// The working directory; the image's default when absent.
    public var workingDir: String?
    /// Environment variables, in order: a value sees only the variables before it.
    public var env: [EnvVar]?
    /// Ports the container listens on (informational, and named targets for Services).
    public var ports: [ContainerPort]?
    /// CPU, memory and extended resources.
    public var resources: ResourceRequirements?
    /// Volumes mounted into the container.
    public var volumeMounts: [VolumeMount]?
    /// The check that decides whether the container is ready.
    public var readinessProbe: Probe?
    /// `Always`, `IfNotPresent` or `Never`.
    public var imagePullPolicy: String?

    /// Creates a container.
    public init(
        name: String,
        image: String? = nil,
        command: [String]? = nil,
        args: [String]? = nil,
        workingDir: String? = nil,
        env: [EnvVar]? = nil,
        ports: [ContainerPort]? = nil,
        resources: ResourceRequirements? = nil,
        volumeMounts: [VolumeMount]? = nil,
        readinessProbe: Probe? = nil,
        imagePullPolicy: String? = nil
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.ports = ports
        self.resources = resources
        self.volumeMounts = volumeMounts
        self.readinessProbe = readinessProbe
        self.imagePullPolicy = imagePullPolicy
    }
}
