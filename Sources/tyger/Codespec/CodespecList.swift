import ArgumentParser
import TygerKit

struct CodespecList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the latest version of each codespec, sorted by name."
    )

    @Option(name: [.short, .long], help: "Only codespecs whose name starts with this.")
    var prefix: String?

    @Option(name: [.short, .long], parsing: .unconditional, help: "At most this many codespecs.", transform: WholeNumber.parse)
    var limit: Int?

    @OptionGroup var output: OutputOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let listing = try await Listing.collect {
            try await backend.withClient { try await $0.store.latestCodespecs(prefix: prefix, limit: limit) }
        }
        print(try output.output.render(listing.items), terminator: "")
        try listing.reportProblems()
    }
}
