package import Foundation

/// What a finished process printed, and how it ended.
package struct ProcessResult: Sendable {
    /// The exit status, or the signal for a process killed by one.
    package var status: Int32
    package var stdout: String
    package var stderr: String
    /// Both outputs, for messages and for looking for what must not be printed.
    package var output: String { stdout + stderr }
}

/// A child process whose output is collected, started from this process's environment with
/// `environment` on top.
package final class ChildProcess: @unchecked Sendable {
    package let process = Process()
    private let output = Pipe()
    private let errors = Pipe()

    package init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = errors
    }

    package func start() throws { try process.run() }

    /// Waits for exit and returns the status with everything the process printed.
    package func finish() async -> ProcessResult {
        async let out = offPool { (try? self.output.fileHandleForReading.readToEnd()) ?? Data() }
        async let err = offPool { (try? self.errors.fileHandleForReading.readToEnd()) ?? Data() }
        let (stdout, stderr) = await (out, err)
        await offPool { self.process.waitUntilExit() }
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts the process and waits for it.
    package func run() async throws -> ProcessResult {
        try start()
        return await finish()
    }

    package func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
}

/// Runs blocking work (reading a pipe to its end, waiting for a process) on a thread of its
/// own. Swift's cooperative pool has one thread per core; a test that blocks one stalls every
/// other test of the run, including their child processes' exit handling.
package func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// ``offPool(_:)`` for work that throws.
package func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
