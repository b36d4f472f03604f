import ArgumentParser

@main
struct TygerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tyger",
        abstract: "Create codespecs and run distributed jobs with TygerKit.",
        subcommands: [CodespecCommand.self, RunCommand.self]
    )

    static func main() async {
        Output.prepareProcess()
        await main(nil)
    }
}
