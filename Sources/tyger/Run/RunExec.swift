import ArgumentParser
import Foundation
import TygerKit

struct RunExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Create a run, follow its logs, and wait; exit 0 only when it succeeds.",
        discussion: "Logs go to standard output, status and worker progress to standard error. Ctrl-C cancels the run."
    )

    @OptionGroup var spec: RunSpecOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let runSpec = try spec.runSpec()
        let status = try await backend.withClient { client in
            let run = try await client.createRun(runSpec)
            Output.error("run \(run.id) created")
            // The run lives in this process: a closed terminal or a kill must cancel it, not leave it.
            let cancellation = SignalCancellation(signals: [SIGINT, SIGTERM, SIGHUP]) {
                Output.error("canceling run \(run.id)")
                Task { _ = try? await client.cancel(id: run.id) }
            }
            defer { cancellation.stop() }
            async let logs: Void = Self.printLogs(client.logs(of: run.id, follow: true))
            let final = try await Self.reportProgress(client.updates(of: run.id))
            try await logs
            return final
        }
        guard status.status == .succeeded else { throw ExitCode(1) }
    }

    private static func printLogs(_ lines: AsyncThrowingStream<RunLogLine, any Error>) async throws {
        for try await line in lines {
            Output.line(line.description)
        }
    }

    /// Prints each status change and worker progress change once, and returns the final run.
    private static func reportProgress(_ updates: AsyncThrowingStream<Run, any Error>) async throws -> Run {
        var last: Run?
        for try await run in updates {
            if run.status != last?.status {
                Output.error("run \(run.id): \(run.status)\(run.statusReason.map { " (\($0))" } ?? "")")
            }
            if let workers = run.workers, workers != last?.workers, run.status == .pending {
                Output.error(workers.description)
            }
            last = run
        }
        guard let last else { throw TygerError(.backend, "the run reported no status") }
        return last
    }
}
