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

    @Option(help: "At most this many runs.")
    var limit: Int?

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let runs = try await backend.withClient { try await $0.runs(RunQuery(limit: limit)) }
        print(try output.output.render(runs), terminator: "")
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
        }
    }
}
