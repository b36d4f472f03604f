import Foundation

/// The built `tyger` command, run as a user runs it, for the command-line suites.
enum TygerProcess {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Both outputs, for messages and for looking for what must not be printed.
        var output: String { stdout + stderr }
    }

    static func executable() throws -> URL {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        for candidate in [directory, directory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("tyger")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "tyger"])
    }

    /// Runs `tyger` with the Kubernetes backend and `kubeconfig`, on a thread of its own so
    /// that waiting for it never blocks the cooperative pool. `KUBERNETES_SERVICE_HOST` is
    /// cleared so a test machine inside a pod still uses the kubeconfig.
    static func run(
        _ arguments: [String], kubeconfig: String, environment: [String: String] = [:]
    ) async throws -> Result {
        let executable = try executable()
        let variables = ProcessInfo.processInfo.environment.merging(
            ["KUBECONFIG": kubeconfig, "TYGER_BACKEND": "kubernetes", "KUBERNETES_SERVICE_HOST": ""]
        ) { $1 }.merging(environment) { $1 }
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = executable
                process.arguments = arguments
                process.environment = variables
                let output = Pipe()
                let errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                do {
                    try process.run()
                    let errorData = Thread.detachedRead(errors.fileHandleForReading)
                    let out = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(
                        returning: Result(
                            status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                            stderr: String(decoding: errorData.value, as: UTF8.self)))
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }
}

/// A fresh folder for one test's files, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tyger-k8s-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file.path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
