import Testing
import TygerDocker
import TygerKit
import TygerKitTesting

/// The container backend against the conformance suite every backend passes, on every engine
/// of ``TestEngine/all`` (Podman and Docker Engine in CI).
@Suite(.enabled(if: TestEngine.isAvailable, TestEngine.skipReason))
struct DockerBackendConformanceTests {
    @Test(arguments: TestEngine.all, BackendConformanceCheck.allCases)
    func conformance(_ engine: TestEngine, _ check: BackendConformanceCheck) async throws {
        try await engine.withBackend { backend in
            try await TestEngine.conformanceSuite(backend).run(check)
        }
    }
}
