import ArgumentParser

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Create, follow and manage runs.",
        subcommands: [
            RunCreate.self, RunExec.self, RunShow.self, RunList.self, RunCancel.self, RunLogs.self, RunRender.self,
            RunHost.self,
        ]
    )
}
