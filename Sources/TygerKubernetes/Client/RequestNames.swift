import TygerKit

/// The checks on names that go into request URLs, made before a request is built so that a
/// namespace such as `../..` or an object name such as `..` can never address another path
/// on the API server, whatever a proxy in front of it does with dot segments.
enum RequestNames {
    /// What a namespace may be, for messages.
    static let namespaceRule =
        "allowed: a DNS-1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, "
        + "at most 63 characters"

    /// What an object name in a request path may be, for messages.
    static let objectNameRule = "allowed: a non-empty name other than '.' and '..' without '/' or '%'"

    /// Why `namespace` cannot name a namespace, or `nil` when it can.
    static func namespaceProblem(_ namespace: String) -> String? {
        guard !KubernetesNameRules.isDNS1123Label(namespace) else { return nil }
        return "the namespace '\(namespace)' is not a Kubernetes namespace name; \(namespaceRule)"
    }

    /// Kubernetes' own rule for a name in a path (`IsValidPathSegmentName`): the API server
    /// refuses `.`, `..`, `/` and `%` in every object name, so refusing them here loses
    /// nothing and keeps every name a single, literal path segment.
    static func isPathSegmentName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains(UInt8(ascii: "/"))
            && !name.utf8.contains(UInt8(ascii: "%"))
    }

    /// Throws a `.backend` error naming `place` when `namespace` is not a namespace name.
    static func checkNamespace(_ namespace: String, place: String) throws(TygerError) {
        if let problem = namespaceProblem(namespace) {
            throw TygerError(.backend, "\(place): \(problem)")
        }
    }
}
