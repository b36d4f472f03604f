import ArgumentParser
import Foundation
import TygerKit

#if canImport(Glibc)
import Glibc
#endif

/// Executes one local run in its own process, so that `run create` can return at once.
/// It reads the resolved run as JSON on standard input, prints the run ID, and stays until
/// the run is terminal; SIGTERM or SIGINT cancel the run.
struct RunHost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Execute a resolved run read from standard input (used by run create).",
        shouldDisplay: false
    )

    func run() async throws {
        signal(SIGHUP, SIG_IGN)
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let resolved = try JSONDecoder().decode(ResolvedRunSpec.self, from: input)
        try await LocalBackend.withBackend { backend in
            let run = try await backend.submit(resolved)
            print(run.id)
            fflush(nil)
            let cancellation = SignalCancellation(signals: [SIGTERM, SIGINT]) {
                Task { _ = try? await backend.cancel(id: run.id) }
            }
            defer { cancellation.stop() }
            _ = try await backend.waitUntilTerminal(run.id)
        }
    }
}

/// Starts `tyger run host` as a separate process and reads the run ID it prints.
enum RunHostLauncher {
    static func launch(_ resolved: ResolvedRunSpec) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["run", "host"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(try JSONEncoder().encode(resolved))
        try input.fileHandleForWriting.close()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != 10 {
            line.append(first)
        }
        let id = String(decoding: line, as: UTF8.self)
        guard !id.isEmpty else {
            process.waitUntilExit()
            throw TygerError(.backend, "the run host exited with status \(process.terminationStatus) before starting the run")
        }
        return id
    }
}
