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
        let client = try backend.makeClient()
        let resolved = try await client.prepareRun(try spec.runSpec())
        print(try RunHostLauncher.launch(resolved))
    }
}
