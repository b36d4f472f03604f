import ArgumentParser
import Foundation
import TygerKit

struct RunWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print a run as one line of JSON now and on every change, until it is terminal.",
        discussion: """
            Each line holds the run's id, status, statusReason, runningCount and times, as Tyger's CLI \
            prints them; --full-resource prints the whole run instead.
            """)

    @Argument(help: "The run ID.")
    var id: String

    @Flag(help: "Print the whole run on each line.")
    var fullResource = false

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let id = try RunID(parsing: id)
        try await backend.withClient { client in
            var last: String?
            for try await run in client.updates(of: id) {
                let line = fullResource ? try TygerJSON.string(run, indented: false) : try TygerJSON.string(RunMetadata(run), indented: false)
                // The same line twice says nothing new (a change only in fields not printed).
                guard line != last else { continue }
                last = line
                Output.line(line)
            }
        }
    }
}

/// The fields `run watch` prints by default, in Tyger's order.
struct RunMetadata: Encodable {
    var id: RunID
    var status: RunStatus
    var statusReason: String?
    var runningCount: Int?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?

    init(_ run: Run) {
        id = run.id
        status = run.status
        statusReason = run.statusReason
        runningCount = run.runningCount
        createdAt = run.createdAt
        startedAt = run.startedAt
        finishedAt = run.finishedAt
    }
}
