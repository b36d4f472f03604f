import Foundation
import TygerKit
import TygerKitTesting
import TygerTestSupport

/// Runs `body` with a local backend as the tests use it: its state in `home` (a fresh
/// directory unless given, kept until `body` returns), a 3 s grace period, and whatever
/// `configure` changes; the backend is shut down afterwards.
func withLocalBackend<Result: Sendable>(
    home: TemporaryDirectory? = nil,
    _ configure: (inout LocalBackend.Configuration) -> Void = { _ in },
    _ body: (LocalBackend) async throws -> Result
) async throws -> Result {
    let home = try home ?? TemporaryDirectory()
    var configuration = LocalBackend.Configuration()
    configuration.directory = home.url
    configuration.gracePeriod = .seconds(3)
    configure(&configuration)
    defer { withExtendedLifetime(home) {} }
    return try await LocalBackend.withBackend(configuration: configuration, body)
}

/// The conformance suite on a local backend, with the conformance programs of this build and
/// leftovers found in the process table by the run's marker variable.
func localConformanceSuite(_ backend: LocalBackend, runDeadline: Duration = .seconds(30)) throws
    -> BackendConformanceSuite
{
    let programs = ConformancePrograms.executable(try BuiltProduct.url("tyger-conformance").path)
    return BackendConformanceSuite(backend: backend, programs: programs, runDeadline: runDeadline) { _, marker in
        ProcessScan.processes(withEnvironment: BackendConformanceSuite.runMarkerVariable, value: marker)
    }
}
