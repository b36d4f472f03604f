import ArgumentParser
import TygerKit

struct CodespecShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a codespec: the latest version, or the one given with --version.",
        aliases: ["get"]
    )

    @Argument(help: "The codespec name.")
    var name: String

    @Option(parsing: .unconditional, help: "The version to show.", transform: WholeNumber.parse)
    var version: Int?

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let codespec = try await backend.withClient { try await $0.store.codespec(named: name, version: version) }
        print(try output.output.render(codespec), terminator: "")
    }
}
