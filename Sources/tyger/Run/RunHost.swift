import ArgumentParser
import Foundation
import TygerKit

#if canImport(Glibc)
import Glibc
#endif

/// Submits one run and supervises it in a process of its own, so that `run create` can
/// return at once: the process that executes a local run, or that finishes a cluster run.
/// It reads the resolved run as JSON on standard input, prints the run ID, and stays until
/// the run is terminal; SIGTERM or SIGINT cancel the run.
struct RunHost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Submit a resolved run read from standard input and supervise it (used by run create).",
        shouldDisplay: false
    )

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        signal(SIGHUP, SIG_IGN)
        // Whoever started this process may be gone by the time it writes; that must not kill the run.
        signal(SIGPIPE, SIG_IGN)
        guard let input = try FileHandle.standardInput.readToEnd() else {
            throw ValidationError("run host reads a resolved run as JSON on standard input, and it was empty")
        }
        let resolved = try JSONDecoder().decode(ResolvedRunSpec.self, from: input)
        try await backend.withClient { client in
            let run = try await client.backend.submit(resolved)
            try FileHandle.standardOutput.write(contentsOf: Data("\(run.id)\n".utf8))
            // The launcher reads up to here; from now on the run's own records tell what happens.
            Self.detachOutput()
            let cancellation = SignalCancellation(signals: [SIGTERM, SIGINT]) {
                Task { _ = try? await client.cancel(id: run.id) }
            }
            defer { cancellation.stop() }
            _ = try await client.waitUntilTerminal(run.id)
        }
    }

    /// Points standard output and error at /dev/null, so the launcher's pipes can close.
    private static func detachOutput() {
        let null = open("/dev/null", O_WRONLY)
        guard null >= 0 else { return }
        dup2(null, STDOUT_FILENO)
        dup2(null, STDERR_FILENO)
        close(null)
    }
}

/// Starts `tyger run host` as a separate process and reads the run ID it prints; when the
/// host fails before that, its error becomes this command's.
enum RunHostLauncher {
    static func launch(_ resolved: ResolvedRunSpec, backend: BackendOptions) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["run", "host"] + backend.arguments
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: try JSONEncoder().encode(resolved))
        try input.fileHandleForWriting.close()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != 10 {
            line.append(first)
        }
        if let id = RunID(String(decoding: line, as: UTF8.self)) { return id.description }
        let message = String(decoding: (try? errors.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
        process.waitUntilExit()
        let reason = message.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "Error: ", with: "", options: .anchored)
        guard !reason.isEmpty else {
            throw TygerError(.backend, "the run host exited with status \(process.terminationStatus) before starting the run")
        }
        throw TygerError(.backend, reason)
    }
}
