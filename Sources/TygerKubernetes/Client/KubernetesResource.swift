/// A Kubernetes resource type as the REST API names it: the API group and version, the
/// lower-case plural used in paths, and whether objects live in a namespace.
///
/// The client builds every path from this value, so it works with any object model:
///
/// ```swift
/// KubernetesResource.jobs.collectionPath(namespace: "tyger")  // /apis/batch/v1/namespaces/tyger/jobs
/// KubernetesResource(group: "example.com", version: "v1", plural: "widgets", namespaced: true)
/// ```
public struct KubernetesResource: Sendable, Hashable, CustomStringConvertible {
    /// The API group; empty for the core group (`v1` objects such as pods and services).
    public var group: String
    /// The API version within the group: `v1`, `v1beta1`.
    public var version: String
    /// The lower-case plural resource name in paths: `pods`, `jobs`, `statefulsets`.
    public var plural: String
    /// Whether objects of this resource live in a namespace (pods) or not (namespaces, nodes).
    public var namespaced: Bool

    /// Creates a resource description.
    public init(group: String = "", version: String, plural: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.namespaced = namespaced
    }

    /// `version` for the core group, `group/version` otherwise: the `apiVersion` of objects.
    public var apiVersion: String {
        group.isEmpty ? version : "\(group)/\(version)"
    }

    /// The path prefix of this resource's group and version: `/api/v1` or `/apis/batch/v1`.
    public var apiRootPath: String {
        // The core group predates API groups and keeps its own `/api` root.
        group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
    }

    /// The collection path: `/api/v1/namespaces/<namespace>/pods`, or `/api/v1/namespaces` for
    /// cluster-scoped resources. A `nil` namespace on a namespaced resource gives the
    /// all-namespaces collection (`/api/v1/pods`), which only list and watch accept.
    public func collectionPath(namespace: String?) -> String {
        if namespaced, let namespace {
            return "\(apiRootPath)/namespaces/\(Self.escapePathSegment(namespace))/\(plural)"
        }
        return "\(apiRootPath)/\(plural)"
    }

    /// The path of one object, optionally of one of its subresources (`status`, `log`).
    public func objectPath(name: String, namespace: String?, subresource: String? = nil) -> String {
        var path = "\(collectionPath(namespace: namespace))/\(Self.escapePathSegment(name))"
        if let subresource { path += "/\(subresource)" }
        return path
    }

    public var description: String {
        "\(plural).\(apiVersion)"
    }

    /// Percent-encodes one path segment, so a name can never add segments or a query.
    static func escapePathSegment(_ segment: String) -> String {
        var allowed = CharacterSetLite.unreserved
        // Sub-delimiters and ':' and '@' are legal inside a segment; names never need more.
        allowed.formUnion(Set(":@!$&'()*+,;=".utf8))
        return percentEncode(segment, allowed: allowed)
    }

    /// Percent-encodes a query name or value, leaving only unreserved characters as they are:
    /// selectors contain `=`, `,`, `!` and `()`, which must not be read as query syntax.
    static func escapeQueryValue(_ value: String) -> String {
        percentEncode(value, allowed: CharacterSetLite.unreserved)
    }

    private static func percentEncode(_ text: String, allowed: Set<UInt8>) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if allowed.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }
}

/// The RFC 3986 unreserved bytes, kept as a byte set because Foundation's `CharacterSet`
/// allowances (`urlQueryAllowed`) let `&`, `=` and `+` through, which break query values.
private enum CharacterSetLite {
    static let unreserved: Set<UInt8> = {
        var set = Set<UInt8>()
        set.formUnion(UInt8(ascii: "a")...UInt8(ascii: "z"))
        set.formUnion(UInt8(ascii: "A")...UInt8(ascii: "Z"))
        set.formUnion(UInt8(ascii: "0")...UInt8(ascii: "9"))
        set.formUnion("-._~".utf8)
        return set
    }()
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

extension KubernetesResource {
    /// Core `v1` pods.
    public static let pods = KubernetesResource(version: "v1", plural: "pods")
    /// Core `v1` services.
    public static let services = KubernetesResource(version: "v1", plural: "services")
    /// Core `v1` config maps.
    public static let configMaps = KubernetesResource(version: "v1", plural: "configmaps")
    /// Core `v1` secrets.
    public static let secrets = KubernetesResource(version: "v1", plural: "secrets")
    /// Core `v1` service accounts.
    public static let serviceAccounts = KubernetesResource(version: "v1", plural: "serviceaccounts")
    /// Core `v1` events.
    public static let events = KubernetesResource(version: "v1", plural: "events")
    /// Core `v1` persistent volume claims.
    public static let persistentVolumeClaims = KubernetesResource(version: "v1", plural: "persistentvolumeclaims")
    /// Core `v1` namespaces (cluster-scoped).
    public static let namespaces = KubernetesResource(version: "v1", plural: "namespaces", namespaced: false)
    /// Core `v1` nodes (cluster-scoped).
    public static let nodes = KubernetesResource(version: "v1", plural: "nodes", namespaced: false)
    /// `batch/v1` jobs.
    public static let jobs = KubernetesResource(group: "batch", version: "v1", plural: "jobs")
    /// `apps/v1` stateful sets.
    public static let statefulSets = KubernetesResource(group: "apps", version: "v1", plural: "statefulsets")
    /// `apps/v1` deployments.
    public static let deployments = KubernetesResource(group: "apps", version: "v1", plural: "deployments")
    /// `discovery.k8s.io/v1` endpoint slices.
    public static let endpointSlices = KubernetesResource(
        group: "discovery.k8s.io", version: "v1", plural: "endpointslices")
}
