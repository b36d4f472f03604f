#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a server's host is this machine, the one place where plain `http://` is allowed:
/// there the bytes never cross a network (`kubectl proxy`, a test server), while anywhere
/// else they would carry the bearer token and every run spec in clear text.
enum LoopbackHost {
    /// `localhost`, any address in 127.0.0.0/8, or `::1` (with or without brackets).
    static func contains(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name == "localhost." { return true }
        var ipv4 = in_addr()
        if inet_pton(AF_INET, name, &ipv4) == 1 {
            return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127
        }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, name, &ipv6) == 1 {
            var loopback = in6addr_loopback
            return withUnsafeBytes(of: &ipv6) { mine in withUnsafeBytes(of: &loopback) { mine.elementsEqual($0) } }
        }
        return false
    }
}
