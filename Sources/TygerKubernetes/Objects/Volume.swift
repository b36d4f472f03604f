/// A volume of a pod (`Volume`); only the sources TygerKit uses are modelled.
///
/// ```swift
/// Volume(name: "shm", emptyDir: .init(medium: "Memory", sizeLimit: "1Gi"))
/// ```
public struct Volume: Sendable, Hashable, Codable {
    /// A DNS-1123 label, unique within the pod.
    public var name: String
    /// A directory that lives as long as the pod, on disk or in memory.
    public var emptyDir: EmptyDir?
    /// The keys of a ConfigMap, as files.
    public var configMap: ConfigMapSource?

    /// Creates a volume.
    public init(name: String, emptyDir: EmptyDir? = nil, configMap: ConfigMapSource? = nil) {
        self.name = name
        self.emptyDir = emptyDir
        self.configMap = configMap
    }

    /// An empty directory (`EmptyDirVolumeSource`).
    public struct EmptyDir: Sendable, Hashable, Codable {
        /// `Memory` for a tmpfs; the node's disk when absent.
        public var medium: String?
        /// The most the volume may hold, as a quantity (`1Gi`).
        public var sizeLimit: String?

        /// Creates an empty-directory source.
        public init(medium: String? = nil, sizeLimit: String? = nil) {
            self.medium = medium
            self.sizeLimit = sizeLimit
        }
    }

    /// A ConfigMap's keys as files (`ConfigMapVolumeSource`).
    public struct ConfigMapSource: Sendable, Hashable, Codable {
        /// The ConfigMap's name.
        public var name: String?
        /// Whether the pod may start when the ConfigMap is missing.
        public var optional: Bool?

        /// Creates a ConfigMap source.
        public init(name: String? = nil, optional: Bool? = nil) {
            self.name = name
            self.optional = optional
        }
    }
}
