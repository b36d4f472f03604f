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
        let resolved = try await backend.withClient { client in
            try spec.checkPull(for: client.backend)
            return try await client.prepareRun(runSpec)
        }
        // The run is submitted and supervised by a process of its own that lives as long as the
        // run, so that this command can return at once.
        print(try RunHostLauncher.launch(resolved, backend: backend))
    }
}
