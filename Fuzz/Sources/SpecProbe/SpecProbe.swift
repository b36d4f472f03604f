import Foundation
import TygerKit

/// A tiny driver for measuring the decoder's cost on one input under `/usr/bin/time -v`:
///
///     SpecProbe [--text] [--codespec] FILE
///
/// `--text` reads the whole file and decodes the text (no file size cap before decoding);
/// otherwise the file is decoded by path. Prints the outcome and the wall time of the decode.
@main
struct SpecProbe {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let asText = arguments.contains("--text")
        let asCodespec = arguments.contains("--codespec")
        arguments.removeAll { $0.hasPrefix("--") }
        guard let path = arguments.first else {
            print("usage: SpecProbe [--text] [--codespec] FILE")
            exit(2)
        }
        let url = URL(filePath: path)
        let text = asText ? String(decoding: try Data(contentsOf: url), as: UTF8.self) : nil
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: String
        do {
            switch (text, asCodespec) {
            case (let text?, true): _ = try SpecFile.decodeCodespec(from: text, file: path)
            case (let text?, false): _ = try SpecFile.decodeRun(from: text, file: path)
            case (nil, true): _ = try SpecFile.decodeCodespec(contentsOf: url)
            case (nil, false): _ = try SpecFile.decodeRun(contentsOf: url)
            }
            outcome = "accepted"
        } catch {
            outcome = "rejected: " + String(error.description.prefix(160))
        }
        print("\(clock.now - start)\t\(outcome)")
    }
}
