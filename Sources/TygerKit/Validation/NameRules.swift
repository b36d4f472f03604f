/// The character rules for the names and values Tyger constrains, written as byte checks
/// because they run on every spec and must not depend on a regex engine.
enum NameRules {
    static let endpointPattern = "^[-._A-Za-z0-9]+$"
    static let bufferPattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    static let tagKeyPattern = "^[a-zA-Z0-9-_.]{1,128}$"
    static let tagValuePattern = "^[a-zA-Z0-9-_.]{0,256}$"
    static let environmentPattern = "^[-._a-zA-Z][-._a-zA-Z0-9]*$"

    /// Letters, digits, `_`, `-` and `.`: what Kubernetes allows in the variables an endpoint
    /// name becomes (`TYGER_<NAME>_WORKER_ENDPOINT_ADDRESSES`), kept unchanged as Tyger keeps
    /// it (its own files use `test-worker`); `execve` allows them too.
    static func isEndpointName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy {
                isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
    }

    /// A .NET TimeSpan as Tyger writes buffer TTLs: `[-][d.]hh:mm[:ss[.fffffff]]`, such as
    /// `00:05:00`, `0.00:05` or `1.12:30:00`.
    static let timeSpanPattern = "[d.]hh:mm[:ss[.fffffff]]"

    static func isTimeSpan(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "-" { rest = rest.dropFirst() }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count) else { return false }
        var hours = parts[0]
        if let dot = hours.firstIndex(of: ".") {
            let days = hours[..<dot]
            guard !days.isEmpty, days.utf8.allSatisfy(isDigit) else { return false }
            hours = hours[hours.index(after: dot)...]
        }
        func number(_ field: Substring, upTo limit: Int) -> Bool {
            (1...2).contains(field.count) && field.utf8.allSatisfy(isDigit) && (Int(field) ?? limit) < limit
        }
        guard number(hours, upTo: 24), number(parts[1], upTo: 60) else { return false }
        if parts.count == 3 {
            let seconds = parts[2].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            guard number(seconds[0], upTo: 60) else { return false }
            if seconds.count == 2, !(1...7).contains(seconds[1].count) || !seconds[1].utf8.allSatisfy(isDigit) { return false }
        }
        return true
    }

    static func isBufferName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        let isLowerAlphanumeric = { (byte: UInt8) in isDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) }
        return isLowerAlphanumeric(first) && isLowerAlphanumeric(last)
            && bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func isTagKey(_ key: String) -> Bool {
        (1...128).contains(key.utf8.count) && key.utf8.allSatisfy(isTagByte)
    }

    static func isTagValue(_ value: String) -> Bool {
        value.utf8.count <= 256 && value.utf8.allSatisfy(isTagByte)
    }

    /// Kubernetes' rule for container environment variable names, which every backend shares
    /// so that a spec valid locally stays valid on a cluster.
    static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !isDigit(first) else { return false }
        return name.utf8.allSatisfy { isLetter($0) || isDigit($0) || [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_")].contains($0) }
    }

    private static func isTagByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ".")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
