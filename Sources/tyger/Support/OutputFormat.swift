import ArgumentParser
import Foundation
import TygerKit

/// How a command prints models: JSON shaped like Tyger's (its scripts parse it), or YAML.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case json
    case yaml

    func render(_ value: some Encodable) throws -> String {
        switch self {
        case .yaml:
            let text = try SpecFile.encode(value)
            return text.hasSuffix("\n") ? text : text + "\n"
        case .json:
            return try TygerJSON.string(value) + "\n"
        }
    }
}

struct OutputOptions: ParsableArguments {
    @Option(name: [.customShort("o"), .long], help: "Output format: json or yaml.")
    var output: OutputFormat = .json
}
