import ArgumentParser
import Foundation
import TygerKit

struct CodespecCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a codespec version and print its number.",
        discussion: """
            Values given as flags override the spec file's; list and map flags (--env, --endpoint, \
            arguments after --) replace the file's value. When the codespec equals the latest \
            version, that version is printed and nothing is stored.
            """
    )

    @Argument(help: "The codespec name.")
    var name: String

    @Option(name: [.short, .customLong("file")], help: "A codespec spec file (YAML or JSON).")
    var file: String?

    @Option(help: "job or worker (default: job).")
    var kind: String?

    @Option(help: "The container image.")
    var image: String?

    @Option(help: "An environment variable, KEY=VALUE; repeatable.")
    var env: [String] = []

    @Option(help: "A worker endpoint, NAME=PORT or NAME=PORT,NAME=PORT; repeatable.")
    var endpoint: [String] = []

    @Option(parsing: .unconditional, help: "The largest number of replicas a run may ask for.", transform: WholeNumber.parse)
    var maxReplicas: Int?

    @Option(help: "CPU request, e.g. 500m.")
    var cpuRequest: String?

    @Option(help: "Memory request, e.g. 1Gi.")
    var memoryRequest: String?

    @Option(help: "CPU limit.")
    var cpuLimit: String?

    @Option(help: "Memory limit.")
    var memoryLimit: String?

    @Option(help: "Number of GPUs.")
    var gpu: String?

    @Option(help: "Size of shared memory at /dev/shm, e.g. 1Gi.")
    var shm: String?

    @Option(help: "The workload identity the code runs as.")
    var identity: String?

    @Option(help: "The working directory.")
    var workingDir: String?

    @Flag(help: "Treat the values after -- as the command rather than its arguments.")
    var command = false

    @OptionGroup var backend: BackendOptions

    @Argument(parsing: .postTerminator, help: "Arguments (or, with --command, the command) after --.")
    var values: [String] = []

    func run() async throws {
        var codespec = try CodespecFlags(self).apply(to: baseCodespec())
        codespec.name = name
        let stored = try await backend.withClient { try await $0.createCodespec(codespec) }
        print(stored.version ?? 0)
    }

    private func baseCodespec() throws -> Codespec {
        guard let file else { return Codespec() }
        return try SpecFile.decodeCodespec(contentsOf: URL(fileURLWithPath: file))
    }
}
