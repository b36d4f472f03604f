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
