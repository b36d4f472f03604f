import Foundation

/// The executables the benchmarks start, found next to this one in the same build directory.
struct Programs: Sendable {
    /// `tyger-conformance`, the worker and job programs of the conformance suite.
    var conformance: URL
    /// This executable, started again in a ``ChildRole``.
    var benchmark: URL

    enum LookupError: Error, CustomStringConvertible {
        case missing(URL)

        var description: String {
            switch self {
            case .missing(let url):
                "\(url.path) not found; build it first: swift build -c release --product tyger-conformance"
            }
        }
    }

    /// Finds the programs; `/proc/self/exe` names this executable whatever the working directory.
    static func locate() throws -> Programs {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let benchmark = URL(filePath: path).standardizedFileURL
        let conformance = benchmark.deletingLastPathComponent().appending(path: "tyger-conformance")
        guard FileManager.default.isExecutableFile(atPath: conformance.path) else { throw LookupError.missing(conformance) }
        return Programs(conformance: conformance, benchmark: benchmark)
    }
}
