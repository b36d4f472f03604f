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

    @Argument(help: "The codespec name (default: the file's name).")
    var name: String?

    @Option(name: [.short, .customLong("file")], help: "A codespec spec file (YAML or JSON).")
    var file: String?

    @Option(name: [.short, .long], help: "job or worker (default: job); a file's kind wins.")
    var kind: String?

    @Option(help: "The container image.")
    var image: String?

    @Option(
        name: [.customShort("r"), .long], parsing: .unconditional, help: "The largest number of replicas a run may ask for.",
        transform: WholeNumber.parse)
    var maxReplicas: Int?

    @Option(name: [.short, .long], help: "An input buffer name; repeatable, or comma-separated.")
    var input: [String] = []

    @Option(name: [.short, .long], help: "An output buffer name; repeatable, or comma-separated.")
    var output: [String] = []

    @Option(name: [.short, .long], help: "An environment variable, KEY=VALUE or K1=V1,K2=V2; repeatable.")
    var env: [String] = []

    @Option(help: "A worker endpoint, NAME=PORT or NAME=PORT,NAME=PORT; repeatable.")
    var endpoint: [String] = []

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
        let flags = CodespecFlags(self)
        var codespec = try flags.apply(to: baseCodespec(flags))
        codespec.name = try resolvedName(file: codespec.name)
        let stored = try await backend.withClient { try await $0.createCodespec(codespec) }
        print(stored.version ?? 0)
    }

    /// The file's codespec, whose `kind` wins over `--kind` as in Tyger's CLI.
    private func baseCodespec(_ flags: CodespecFlags) throws -> Codespec {
        let flagKind = try flags.kind() ?? .job
        guard let file else { return Codespec(kind: flagKind) }
        let (codespec, writesKind) = try SpecFile.decodeCodespec(contentsOf: URL(fileURLWithPath: file), defaultKind: flagKind)
        if writesKind, let given = try flags.kind(), given != codespec.kind {
            Output.error("Warning: --kind \(given) is ignored: \(file) says kind: \(codespec.kind), and the file's kind wins")
        }
        return codespec
    }

    /// A positional NAME wins over the file's `name`; with neither, Tyger's errors.
    private func resolvedName(file fileName: String?) throws -> String {
        if let name { return name }
        guard file != nil else {
            throw CommandLineError("if -f|--file is not provided, a name for the codespec is required")
        }
        guard let fileName, !fileName.isEmpty else {
            throw CommandLineError("a name for the codespec must be required: give NAME or write name: in \(file ?? "the file")")
        }
        return fileName
    }
}
