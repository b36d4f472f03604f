#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where variables come from: the live process environment or a caller-supplied dictionary.
///
/// Every lookup in the module goes through this one type so that the process and dictionary
/// entry points share all of their logic and cannot drift apart.
enum Environment: Sendable {
    case process
    case dictionary([String: String])

    /// The value of `name`, or `nil` when it is not defined. A defined but empty variable is `""`.
    func value(_ name: String) -> String? {
        switch self {
        case .dictionary(let variables):
            return variables[name]
        case .process:
            // Read on every call rather than cached: tests and launchers may `setenv` late.
            guard let raw = getenv(name) else { return nil }
            return String(cString: raw)
        }
    }

    /// Every variable name that is defined. Only used to build error messages, so it may be slow.
    func names() -> [String] {
        switch self {
        case .dictionary(let variables):
            return Array(variables.keys)
        case .process:
            return Self.processVariableNames()
        }
    }

    private static func processVariableNames() -> [String] {
        #if canImport(Darwin)
        // Darwin does not export `environ` to shared libraries; this is its supported accessor.
        let head: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = _NSGetEnviron()?.pointee
        #else
        let head: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ
        #endif
        guard var cursor = head else { return [] }
        var names: [String] = []
        let equals = CChar(UInt8(ascii: "="))
        while let entry = cursor.pointee {
            var length = 0
            while entry[length] != 0, entry[length] != equals { length += 1 }
            let bytes = UnsafeRawBufferPointer(start: entry, count: length)
            names.append(String(decoding: bytes, as: UTF8.self))
            cursor += 1
        }
        return names
    }
}
