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
        let stdout = Task.detached { self.output.fileHandleForReading.readDataToEndOfFile() }
        let stderr = Task.detached { self.errors.fileHandleForReading.readDataToEndOfFile() }
        let out = await stdout.value
        let err = await stderr.value
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
}
