import ArgumentParser
import Foundation
import TygerKit

/// How a command prints models: YAML spec files by default, JSON for scripts.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case yaml
    case json

    func render(_ value: some Encodable) throws -> String {
        switch self {
        case .yaml:
            let text = try SpecFile.encode(value)
            return text.hasSuffix("\n") ? text : text + "\n"
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601WithMilliseconds
            return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
        }
    }
}

struct OutputOptions: ParsableArguments {
    @Option(name: [.customShort("o"), .long], help: "Output format: yaml or json.")
    var output: OutputFormat = .yaml
}
