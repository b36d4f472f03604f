import Foundation
import TygerKit

/// Figure 4: decoding and validating a typical run file, the spec-file guide's example with inline
/// codespecs that the tests use as a fixture.
struct SpecDecodingBenchmark {
    var iterations = 1_000
    /// The target in milliseconds.
    var maximumMilliseconds = 1.0

    /// The fixture, read from the source tree so the benchmark and the tests use the same file.
    static let fixture = URL(filePath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Tests/TygerKitTests/Fixtures/run-inline.yaml")

    func run() throws -> Figure {
        let text = try String(contentsOf: Self.fixture, encoding: .utf8)
        let clock = ContinuousClock()
        var samples: [Double] = []
        for iteration in 0..<(iterations + 20) {
            let elapsed = try clock.measure { _ = try SpecFile.decodeRun(from: text, file: "run-inline.yaml") }
            if iteration >= 20 { samples.append(elapsed.milliseconds) }  // the first twenty warm up
        }
        let median = Statistics.median(samples)
        return Figure(
            name: "SpecFile.decodeRun, run-inline.yaml",
            measured: "median \(formatMilliseconds(median)) (\(iterations) iterations)",
            target: "≤ \(Int(maximumMilliseconds)) ms",
            judgedBy: "median \(formatMilliseconds(median))",
            passes: median <= maximumMilliseconds)
    }
}
