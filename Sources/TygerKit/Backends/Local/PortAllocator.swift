import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds free TCP ports for worker replicas that share this machine.
///
/// Ports come from below the kernel's ephemeral range (32768 and up on Linux), so an
/// outgoing connection can never be given a worker's port as its source port: that would
/// block the worker, or make a readiness probe connect to itself. Each port is checked
/// free by binding it, and ports handed to runs of this process are not handed out again
/// until released, even before the worker has bound them.
enum PortAllocator {
    static let range = 20_000..<32_768
    private static let reserved = Mutex<Set<Int>>([])

    /// Reserves `count` distinct free ports; release them with ``release(_:)``.
    static func reserve(_ count: Int) throws(TygerError) -> [Int] {
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts <= count * 50 + 1_000 else {
                release(ports)
                throw TygerError(.backend, "cannot find \(count) free local ports in \(range.lowerBound)-\(range.upperBound - 1)")
            }
            let port = Int.random(in: range)
            let claimed = reserved.withLock { reserved in reserved.insert(port).inserted }
            guard claimed else { continue }
            if isFree(port) {
                ports.append(port)
            } else {
                release([port])
            }
        }
        return ports
    }

    static func release(_ ports: [Int]) {
        reserved.withLock { reserved in
            for port in ports { reserved.remove(port) }
        }
    }

    /// Whether a listening socket could bind the port on every address, as a worker would.
    private static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(INADDR_ANY).bigEndian
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
