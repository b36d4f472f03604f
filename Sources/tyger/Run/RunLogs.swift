import ArgumentParser
import Foundation
import TygerKit

struct RunLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a run's merged logs, labelled as Tyger labels them.")

    @Argument(help: "The run ID.")
    var id: String

    @Flag(name: [.short, .long], help: "Keep printing new lines until the run ends.")
    var follow = false

    @Flag(help: "Start each line with the time it was written.")
    var timestamps = false

    @Option(parsing: .unconditional, help: "Only the last lines of each replica (-1: all).", transform: WholeNumber.parse)
    var tail: Int = -1

    @Option(name: [.short, .long], help: "Only lines written after this time: RFC 3339, a date, or '10 minutes ago'.")
    var since: String?

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let id = try RunID(parsing: id)
        let options = RunLogOptions(
            follow: follow, since: try since.map { try TimeExpression.parse($0) }, tail: tail >= 0 ? tail : nil)
        try await backend.withClient { client in
            let prefixes = RunLogPrefixes(try await client.run(id: id).spec)
            for try await line in client.logs(of: id, options) {
                Output.line(prefixes.format(line, timestamps: timestamps))
            }
            // A followed log ends when the run does; say so when it ended because its host died.
            guard follow else { return }
            let final = try await client.run(id: id)
            if final.status == .failed, final.statusReason == RunEnding.hostExited.reason {
                Output.error("run \(id): \(final.status) (\(final.statusReason ?? ""))")
                throw ExitCode(1)
            }
        }
    }
}
