import Foundation

/// Timestamps and generated names in the formats Kubernetes uses.
enum ObjectMeta {
    /// RFC 3339 in UTC with second precision, as `metav1.Time` serializes.
    static func timestamp(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt))
    }

    /// RFC 3339 with microseconds, as `metav1.MicroTime` serializes (events, leases).
    static func microTimestamp(_ date: Date = Date()) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        return try? Date(text, strategy: .iso8601)
    }

    /// The alphabet of `generateName` suffixes: no vowels (no accidental words), no 0/1/3 (no look-alikes).
    private static let suffixAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func randomSuffix(_ length: Int = 5) -> String {
        String((0..<length).map { _ in suffixAlphabet.randomElement()! })
    }

    /// `generateName` plus a suffix, trimming the prefix so the result fits in a DNS subdomain.
    static func generatedName(_ prefix: String) -> String {
        String(prefix.prefix(253 - 5)) + randomSuffix()
    }

    static func newUID() -> String { UUID().uuidString.lowercased() }

    /// An owner reference to `owner`, marked as its controller.
    static func controllerReference(to owner: JSONValue, resource: ResourceType) -> JSONValue {
        [
            "apiVersion": .string(resource.groupVersion), "kind": .string(resource.kind), "name": .string(owner.name),
            "uid": .string(owner.uid), "controller": true, "blockOwnerDeletion": true,
        ]
    }

    /// Whether `object` names `owner` as its controller.
    static func isControlled(_ object: JSONValue, by owner: JSONValue) -> Bool {
        (object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).contains {
            $0["uid"]?.stringValue == owner.uid && $0["controller"]?.boolValue == true
        }
    }

    static func isDeleting(_ object: JSONValue) -> Bool {
        object[path: ["metadata", "deletionTimestamp"]] != nil
    }
}
