import ArgumentParser
import Foundation
import TygerKit

struct RunCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a run and print its ID; the run goes on after this command returns."
    )

    @OptionGroup var spec: RunSpecOptions
    @OptionGroup var backend: BackendOptions

    func run() async throws {
        let runSpec = try spec.runSpec()
        let id = try await backend.withClient { client in
            // A local run needs a process that lives as long as the run; a cluster runs it by itself.
            guard client.backend is LocalBackend else { return try await client.createRun(runSpec).id }
            return try RunHostLauncher.launch(try await client.prepareRun(runSpec))
        }
        print(id)
    }
}
