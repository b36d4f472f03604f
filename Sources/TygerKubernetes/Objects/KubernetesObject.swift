/// A top-level Kubernetes API object: it has a type (`apiVersion` and `kind`), metadata,
/// and a plural resource name in API paths.
///
/// ```swift
/// Job.objectAPIVersion  // "batch/v1"
/// Job.objectKind        // "Job"
/// Job.resource          // "jobs"
/// ```
public protocol KubernetesObject: Codable, Sendable, Hashable {
    /// The API group and version every object of this type has: `v1`, `batch/v1`, `apps/v1`.
    static var objectAPIVersion: String { get }
    /// The kind every object of this type has: `Job`, `Service`.
    static var objectKind: String { get }
    /// The lower-case plural resource name in API paths: `jobs`, `services`.
    static var resource: String { get }

    /// The object's API group and version, as sent and received.
    var apiVersion: String { get }
    /// The object's kind, as sent and received.
    var kind: String { get }
    /// The object's name, labels, owners and server-assigned fields.
    var metadata: ObjectMeta { get set }
}

/// The coding keys every top-level object shares; each type adds its own in its own enum.
enum TypeMetaKeys: String, CodingKey {
    case apiVersion, kind
}

extension KeyedDecodingContainer where K == TypeMetaKeys {
    /// Reads `apiVersion` or `kind`, which list items from the API server usually omit,
    /// falling back to the type's own value.
    func typeMeta(_ key: TypeMetaKeys, default value: String) throws -> String {
        try decodeIfPresent(String.self, forKey: key) ?? value
    }
}
