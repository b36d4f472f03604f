import ArgumentParser

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Create, follow and manage runs.",
        subcommands: [
            RunCreate.self, RunExec.self, RunShow.self, RunWatch.self, RunLogs.self, RunList.self, RunSet.self,
            RunCounts.self, RunCancel.self, RunRender.self, RunHost.self,
        ],
        aliases: ["runs"]
    )
}
