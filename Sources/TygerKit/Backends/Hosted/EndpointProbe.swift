#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks whether a TCP endpoint accepts connections, the readiness test of the
/// distributed-run contract: a worker is up only when every endpoint answers.
package enum EndpointProbe {
    /// Tries one connection to `127.0.0.1:port`, waiting at most `timeoutMilliseconds`.
    static func accepts(port: Int, timeoutMilliseconds: Int32 = 100) -> Bool {
        accepts(address: in_addr(s_addr: in_addr_t(INADDR_LOOPBACK).bigEndian), port: port, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Tries one connection to `host:port` from this machine's address `source`, both IPv4
    /// addresses in dotted form; `false` for anything else, and when `source` is not an
    /// address of this machine.
    ///
    /// Binding to `source` first (the host's address on a container network, its gateway)
    /// keeps the connection on that network: the kernel binds only an address of an interface
    /// that exists, and with the interface up its subnet is reached directly. Without it, a
    /// container network whose bridge is gone (Podman removes it with its last container)
    /// would send the connection to the default route, where a transparent proxy may accept
    /// on behalf of an address that nothing listens on.
    package static func accepts(host: String, port: Int, from source: String, timeoutMilliseconds: Int32 = 100) -> Bool {
        var address = in_addr()
        var local = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1, inet_pton(AF_INET, source, &local) == 1 else { return false }
        return accepts(address: address, port: port, source: local, timeoutMilliseconds: timeoutMilliseconds)
    }

    private static func accepts(address target: in_addr, port: Int, source: in_addr? = nil, timeoutMilliseconds: Int32)
        -> Bool
    {
        let descriptor = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr = source
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { return false }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = target
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 { return !isConnectedToItself(descriptor) }
        guard errno == EINPROGRESS else { return false }
        var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        return error == 0 && !isConnectedToItself(descriptor)
    }

    /// A connection to a port nobody listens on can succeed by "simultaneous open" when the
    /// kernel picks that same port as the source; that is not a worker answering.
    private static func isConnectedToItself(_ descriptor: Int32) -> Bool {
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        var peer = sockaddr_in()
        length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let peered = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        guard named == 0, peered == 0 else { return true }
        return local.sin_port == peer.sin_port && local.sin_addr.s_addr == peer.sin_addr.s_addr
    }
}
