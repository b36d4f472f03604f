import ArgumentParser

struct CodespecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codespec",
        abstract: "Create and inspect versioned codespecs.",
        subcommands: [CodespecCreate.self, CodespecShow.self, CodespecList.self],
        aliases: ["codespecs"]
    )
}
