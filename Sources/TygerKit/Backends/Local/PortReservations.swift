import CTygerProcess
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The TCP ports a local backend has handed to worker replicas, reserved against every
/// other TygerKit process on this machine, whatever its user or state directory.
///
/// A reservation is a lock on one byte, at the port's offset, of a lock file shared by the
/// machine: an open-file-description lock (`F_OFD_SETLK`), which the kernel drops when
/// the holder exits, so a killed host never leaves ports reserved. Within one backend a
/// set of its own reservations prevents handing a port out twice (its own lock would not
/// conflict with itself). Ports come from below the kernel's ephemeral range (32768 and up
/// on Linux), so an outgoing connection is never given a worker's port as its source port,
/// and each is also checked free by binding it.
final class PortReservations: Sendable {
    /// The ports handed to workers.
    static let range = 20_000..<32_768

    /// The lock file every local backend on this machine shares.
    static let defaultLockFile = URL(fileURLWithPath: "/tmp/tyger-local-ports.lock")

    private let lockDescriptor: Int32
    private let lockFile: URL
    private let held = Mutex<Set<Int>>([])

    /// Opens the machine's lock file (creating it writable by every user, so that all
    /// users' TygerKit processes coordinate), or `fallback` when it cannot be used.
    init(lockFile: URL = PortReservations.defaultLockFile, fallback: URL) throws(TygerError) {
        if let descriptor = Self.openLockFile(lockFile) {
            self.lockFile = lockFile
            lockDescriptor = descriptor
        } else if let descriptor = Self.openLockFile(fallback) {
            self.lockFile = fallback
            lockDescriptor = descriptor
        } else {
            throw TygerError(
                .backend,
                "cannot open a port lock file at \(lockFile.path) or \(fallback.path): \(FileErrorText.errno(errno))")
        }
    }

    deinit { systemClose(lockDescriptor) }

    /// How many ports there are to hand out at all.
    static var capacity: Int { range.count }

    /// Reserves `count` distinct free ports; release them with ``release(_:)``.
    func reserve(_ count: Int) throws(TygerError) -> [Int] {
        var ports: [Int] = []
        var attempts = 0
        while ports.count < count {
            attempts += 1
            guard attempts <= count * 50 + 1_000 else {
                release(ports)
                throw TygerError(
                    .backend,
                    "cannot find \(count) free local ports in \(Self.range.lowerBound)-\(Self.range.upperBound - 1): "
                        + "other programs or runs use the others")
            }
            let port = Int.random(in: Self.range)
            guard held.withLock({ $0.insert(port).inserted }) else { continue }
            if lock(port), PortProbe.isFree(port) {
                ports.append(port)
            } else {
                release([port])
            }
        }
        return ports
    }

    /// Gives `ports` back.
    func release(_ ports: [Int]) {
        held.withLock { held in
            for port in ports where held.remove(port) != nil {
                unlock(port)
            }
        }
    }

    private func lock(_ port: Int) -> Bool {
        tyger_lock_byte(lockDescriptor, port, 1) == 0
    }

    private func unlock(_ port: Int) {
        _ = tyger_lock_byte(lockDescriptor, port, 0)
    }

    private static func openLockFile(_ file: URL) -> Int32? {
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard descriptor >= 0 else { return nil }
        // The umask must not keep other users out of the machine's one lock file.
        _ = fchmod(descriptor, 0o666)
        return descriptor
    }
}

/// Whether a port is free: a listening socket could bind it on every address, as a worker would.
enum PortProbe {
    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { systemClose(descriptor) }
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
