import ArgumentParser
import TygerKit

@main
struct TygerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tyger",
        abstract: "Create codespecs and run distributed jobs with TygerKit.",
        discussion: "tyger -v or --version prints the version.",
        subcommands: [CodespecCommand.self, RunCommand.self]
    )

    static func main() async {
        Output.prepareProcess()
        // Tyger's CLI answers `--version` and `-v` on the root command with these words.
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.count == 1, arguments.first == "--version" || arguments.first == "-v" {
            Output.line("tyger version \(TygerKitVersion.current)")
            return
        }
        await main(nil)
    }
}
