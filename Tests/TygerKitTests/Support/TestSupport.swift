import Foundation

/// A fresh directory under the system's temporary directory, removed when the test is done.
struct TemporaryDirectory: ~Copyable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tygerkit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Executables the package builds next to the test bundle.
enum BuiltProduct {
    static func url(_ name: String) throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
    }
}

/// A child process whose output is collected, started with an explicit environment.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()

    init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = errors
    }

    func start() throws { try process.run() }

    /// Waits for exit and returns the status with everything the process printed.
    func finish() async -> (status: Int32, stdout: String, stderr: String) {
        async let out = offPool { self.output.fileHandleForReading.readDataToEndOfFile() }
        async let err = offPool { self.errors.fileHandleForReading.readDataToEndOfFile() }
        let (stdout, stderr) = await (out, err)
        await offPool { self.process.waitUntilExit() }
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
}

/// A temporary state directory that a test can share with the backends and processes it starts.
final class TestHome: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tygerkit-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

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

/// Runs blocking work (reading a pipe to its end, waiting for a process) on a thread of its
/// own. Swift's cooperative pool has one thread per core; a test that blocks one stalls every
/// other test of the run, including their child processes' exit handling.
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// ``offPool(_:)`` for work that throws.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
