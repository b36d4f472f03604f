import Foundation
import TygerTestSupport

/// The processes of this machine whose environment holds `variable=value`, described for messages.
/// Zombies count as gone: they run nothing, and this sandbox's init does not reap them.
enum ProcessScan {
    static func processes(withEnvironment variable: String, value: String) -> [String] {
        let needle = Data("\(variable)=\(value)".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> String? in
            guard let pid = Int32(entry), !isZombie(pid),
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            else { return nil }
            let matches = environment.split(separator: 0).contains { Data($0) == needle }
            guard matches else { return nil }
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map {
                String(decoding: $0.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            }
            return "pid \(pid): \(command ?? "?")"
        }
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// Polls until no process carries the variable, or the deadline passes; returns what is left.
    static func waitUntilGone(variable: String, value: String, within deadline: Duration) async throws -> [String] {
        let end = ContinuousClock.now + deadline
        while true {
            let left = processes(withEnvironment: variable, value: value)
            if left.isEmpty || ContinuousClock.now > end { return left }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A socket of the test process listening on a free loopback port.
final class TestListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0, listen(descriptor, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
