import ArgumentParser
import TygerKit

struct RunShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a run.")

    @Argument(help: "The run ID.")
    var id: String

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let run = try await backend.withClient { try await $0.run(id: RunID(parsing: id)) }
        print(try output.output.render(run), terminator: "")
    }
}

struct RunList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs, newest first.")

    @Option(parsing: .unconditional, help: "At most this many runs.", transform: WholeNumber.parse)
    var limit: Int?

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let listing = try await Listing.collect { try await backend.withClient { try await $0.runs(RunQuery(limit: limit)) } }
        print(try output.output.render(listing.items), terminator: "")
        try listing.reportProblems()
    }
}

struct RunCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a run.")

    @Argument(help: "The run ID.")
    var id: String

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let run = try await backend.withClient { try await $0.cancel(id: RunID(parsing: id)) }
        print(try output.output.render(run), terminator: "")
    }
}

struct RunLogs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a run's merged logs.")

    @Argument(help: "The run ID.")
    var id: String

    @Flag(name: [.short, .long], help: "Keep printing new lines until the run ends.")
    var follow = false

    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let id = try RunID(parsing: id)
        try await backend.withClient { client in
            for try await line in client.logs(of: id, follow: follow) {
                Output.line(line.description)
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
