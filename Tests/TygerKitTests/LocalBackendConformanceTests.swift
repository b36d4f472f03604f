import Foundation
import Testing
import TygerKit
import TygerKitTesting
import TygerTestSupport

/// The local backend against the conformance suite every backend passes.
@Suite struct LocalBackendConformanceTests {
    private func withSuite(_ body: (BackendConformanceSuite) async throws -> Void) async throws {
        try await withLocalBackend { backend in try await body(try localConformanceSuite(backend)) }
    }

    @Test(arguments: BackendConformanceCheck.allCases)
    func conformance(_ check: BackendConformanceCheck) async throws {
        try await withSuite { try await $0.run(check) }
    }
}
