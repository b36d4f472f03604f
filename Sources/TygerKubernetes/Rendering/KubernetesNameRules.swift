/// The name and value rules of Kubernetes' API validation
/// (`k8s.io/apimachinery/pkg/util/validation`), as byte checks.
///
/// ```swift
/// KubernetesNameRules.isDNS1123Label("run-42-worker")  // true
/// KubernetesNameRules.isIANAServiceName("gadgetron")  // true
/// KubernetesNameRules.isIANAServiceName("my_port")    // false
/// ```
public enum KubernetesNameRules {
    /// The longest DNS-1123 label, and the longest label value.
    public static let maximumLabelLength = 63
    /// The longest DNS-1123 subdomain.
    public static let maximumSubdomainLength = 253
    /// The longest IANA service name (a container port name).
    public static let maximumServiceNameLength = 15
    /// The longest StatefulSet name whose pods can be created: the controller labels each pod
    /// `controller-revision-hash: <name>-<hash of up to 10 characters>`, a label value.
    public static let maximumStatefulSetNameLength = 52

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters: names of most objects,
    /// containers, volumes, namespaces, and pod hostnames.
    public static func isDNS1123Label(_ name: String) -> Bool {
        name.utf8.count <= maximumLabelLength && isDNSLabelText(name.utf8)
    }

    /// Dot-separated DNS-1123 labels, at most 253 characters: service account names and
    /// the prefixes of label keys.
    public static func isDNS1123Subdomain(_ name: String) -> Bool {
        name.utf8.count <= maximumSubdomainLength
            && name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy(
                isDNSLabelText)
    }

    /// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters: Service names.
    public static func isDNS1035Label(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLower(first) else { return false }
        return isDNS1123Label(name)
    }

    /// `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`, at most 63 characters: label values
    /// (empty allowed), such as a node pool name matched by a node selector.
    public static func isLabelValue(_ value: String) -> Bool {
        value.isEmpty || isQualifiedNamePart(value)
    }

    /// An optional DNS-1123 subdomain prefix and `/`, then a name of at most 63 characters
    /// matching `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: label keys.
    public static func isLabelKey(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return isQualifiedNamePart(key)
        case 2: return isDNS1123Subdomain(String(parts[0])) && isQualifiedNamePart(String(parts[1]))
        default: return false
        }
    }

    /// An IANA service name: at most 15 lower-case letters, digits and `-`, at least one
    /// letter, no `-` at either end and no `--`: container port names.
    public static func isIANAServiceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= maximumServiceNameLength else {
            return false
        }
        return first != UInt8(ascii: "-") && last != UInt8(ascii: "-") && !name.contains("--")
            && bytes.contains(where: isLower)
            && bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isDNSLabelText(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.reversed().first else { return false }
        return (isLower(first) || isDigit(first)) && (isLower(last) || isDigit(last))
            && bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isQualifiedNamePart(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= maximumLabelLength else { return false }
        let isAlphanumeric = { (byte: UInt8) in isLetter(byte) || isDigit(byte) }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && bytes.allSatisfy {
                isAlphanumeric($0) || [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ".")].contains($0)
            }
    }

    private static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isLetter(_ byte: UInt8) -> Bool {
        isLower(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
