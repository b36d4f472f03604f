import ArgumentParser
import TygerKit

struct RunShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a run.")

    @Argument(help: "The run ID.")
    var id: String

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        print(try output.output.render(try await backend.makeClient().run(id: id)), terminator: "")
    }
}

struct RunList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs, newest first.")

    @Option(help: "At most this many runs.")
    var limit: Int?

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        print(try output.output.render(try await backend.makeClient().runs(limit: limit)), terminator: "")
    }
}

struct RunCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a run.")

    @Argument(help: "The run ID.")
    var id: String

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        print(try output.output.render(try await backend.makeClient().cancel(id: id)), terminator: "")
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
        for try await line in try backend.makeClient().logs(of: id, follow: follow) {
            Output.line(line.description)
        }
    }
}
