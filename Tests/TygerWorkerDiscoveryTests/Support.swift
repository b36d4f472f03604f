import Foundation
import Testing
import TygerWorkerDiscovery

/// Runs `body`, which must throw a ``WorkerDiscoveryError``, and returns that error.
///
/// Takes an untyped closure because closures are not inferred to throw a typed error from context;
/// the `as` check below still fails the test if anything else is thrown.
func discoveryError<T>(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> T
) throws -> WorkerDiscoveryError {
    let value: T
    do {
        value = try body()
    } catch let error as WorkerDiscoveryError {
        return error
    } catch {
        Issue.record("expected a WorkerDiscoveryError but got \(error)", sourceLocation: sourceLocation)
        throw TestFailure()
    }
    Issue.record("expected a WorkerDiscoveryError but got \(value)", sourceLocation: sourceLocation)
    throw TestFailure()
}

struct TestFailure: Error {}

/// An endpoint name no other test uses, since tests run in parallel and may share the process environment.
func uniqueName(_ prefix: String = "t") -> String {
    prefix + String(UInt64.random(in: 0 ... .max), radix: 36)
}

/// A JSON array of strings, with each element JSON-escaped the simple way (tests use plain ASCII).
func json(_ elements: [String]) -> String {
    "[" + elements.map { "\"" + $0 + "\"" }.joined(separator: ",") + "]"
}

/// A temporary file holding `contents`, removed when the test calls `remove()`.
struct TemporaryFile {
    let path: String

    init(contents: some DataProtocol) throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tyger-discovery-\(UUID().uuidString).json").path
        guard FileManager.default.createFile(atPath: path, contents: Data(contents)) else {
            throw TestFailure()
        }
    }

    init(text: String) throws {
        try self.init(contents: Array(text.utf8))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
