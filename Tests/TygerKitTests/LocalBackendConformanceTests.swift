import Foundation
import Testing
import TygerKit
import TygerKitTesting

/// The local backend against the conformance suite every backend passes.
@Suite struct LocalBackendConformanceTests {
    private func withSuite(_ body: (BackendConformanceSuite) async throws -> Void) async throws {
        let home = try TestHome()
        var configuration = LocalBackend.Configuration()
        configuration.directory = home.url
        configuration.gracePeriod = .seconds(3)
        let programs = ConformancePrograms.executable(try BuiltProduct.url("tyger-conformance").path)
        try await LocalBackend.withBackend(configuration: configuration) { backend in
            let suite = BackendConformanceSuite(backend: backend, programs: programs, runDeadline: .seconds(30)) {
                _, marker in
                ProcessScan.processes(withEnvironment: BackendConformanceSuite.runMarkerVariable, value: marker)
            }
            try await body(suite)
        }
    }

    @Test func discoveryContract() async throws {
        try await withSuite { try await $0.discoveryContract() }
    }

    @Test func discoveryContractWithEightReplicas() async throws {
        try await withSuite { try await $0.discoveryContract(replicas: 8) }
    }

    @Test func jobWaitsForEveryEndpoint() async throws {
        try await withSuite { try await $0.jobWaitsForEveryEndpoint() }
    }

    @Test func runWithoutWorkers() async throws {
        try await withSuite { try await $0.runWithoutWorkers() }
    }

    @Test func failingJobFailsTheRun() async throws {
        try await withSuite { try await $0.failingJobFailsTheRun() }
    }

    @Test func everyJobReplicaMustSucceed() async throws {
        try await withSuite { try await $0.everyJobReplicaMustSucceed() }
    }

    @Test func cancelStopsEverything() async throws {
        try await withSuite { try await $0.cancelStopsEverything() }
    }

    @Test func pendingTimeout() async throws {
        try await withSuite { try await $0.pendingTimeout() }
    }

    @Test func runningTimeout() async throws {
        try await withSuite { try await $0.runningTimeout() }
    }

    @Test func mergedLogs() async throws {
        try await withSuite { try await $0.mergedLogs() }
    }
}
