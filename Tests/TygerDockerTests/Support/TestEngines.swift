import Foundation
import Testing
import TygerDocker
import TygerKit
import TygerKitTesting
import TygerTestSupport

/// A container engine the tests run against.
struct TestEngine: Sendable, CustomTestStringConvertible {
    var socket: EngineSocket

    /// `podman` or `docker`, from the socket's file name, for test names.
    var testDescription: String { URL(fileURLWithPath: socket.path).deletingPathExtension().lastPathComponent }

    /// The engines in `TYGER_TEST_ENGINES` (`unix://` sockets, comma-separated); `.ci/run` starts
    /// Podman and Docker Engine and sets it. Without it, the tests that need an engine are skipped.
    static let all: [TestEngine] = {
        let text = ProcessInfo.processInfo.environment["TYGER_TEST_ENGINES"] ?? ""
        return text.split(separator: ",").map { entry in
            TestEngine(socket: EngineSocket(path: String(entry.trimmingCharacters(in: .whitespaces).dropFirst("unix://".count))))
        }
    }()

    static var isAvailable: Bool { !all.isEmpty }

    /// Why the engine tests are skipped.
    static let skipReason: Comment =
        "set TYGER_TEST_ENGINES=unix:///path/podman.sock,unix:///path/docker.sock (scripts/container-engines.sh starts both)"

    /// The image of the conformance programs that scripts/build-images.sh builds.
    static let conformanceImage = "tygerkit/conformance:dev"
    /// The image of the PrimeCount example.
    static let primeCountImage = "tygerkit/primecount:dev"

    /// The environment that points the `tyger` command at this engine, with its state in `home`.
    func environment(home: URL) -> [String: String] {
        ["DOCKER_HOST": socket.description, "TYGER_HOME": home.path, "TYGER_BACKEND": "docker"]
    }

    /// The backend's configuration for tests: state in `home`, a 3 s grace period.
    func configuration(home: URL) -> DockerBackend.Configuration {
        var configuration = DockerBackend.Configuration()
        configuration.socket = socket
        configuration.directory = home
        configuration.gracePeriod = .seconds(3)
        return configuration
    }

    /// Runs `body` with a backend on this engine whose state lives in a fresh directory.
    func withBackend<Result: Sendable>(
        _ configure: (inout DockerBackend.Configuration) -> Void = { _ in },
        _ body: (DockerBackend) async throws -> Result
    ) async throws -> Result {
        let home = try TemporaryDirectory()
        defer { withExtendedLifetime(home) {} }
        var configuration = configuration(home: home.url)
        configure(&configuration)
        return try await DockerBackend.withBackend(configuration: configuration, body)
    }

    /// The conformance suite on `backend`, with the conformance image and leftovers found by
    /// the run's labels in the engine.
    static func conformanceSuite(_ backend: DockerBackend) -> BackendConformanceSuite {
        BackendConformanceSuite(
            backend: backend, programs: .image(conformanceImage), runDeadline: .seconds(60)
        ) { run, _ in
            try await backend.leftovers(of: run.id)
        }
    }
}

/// A run of `tyger-conformance` programs from the conformance image, executed to its end.
struct FinishedRun: Sendable {
    var run: Run
    var logs: [RunLogLine]

    /// The lines of the job (any replica).
    var jobLines: [String] {
        logs.filter { if case .job = $0.source { true } else { false } }.map(\.text)
    }
}

extension DockerBackend {
    /// Creates a run and waits for its end, with its whole log.
    func execute(_ spec: ResolvedRunSpec) async throws -> FinishedRun {
        let client = TygerClient(store: InMemoryCodespecStore(), backend: self)
        let submitted = try await submit(spec)
        let final = try await client.waitUntilTerminal(submitted.id)
        var logs: [RunLogLine] = []
        for try await line in self.logs(of: submitted.id, follow: false) { logs.append(line) }
        return FinishedRun(run: final, logs: logs)
    }
}

/// A codespec that runs `tyger-conformance` from the conformance image.
func conformance(_ kind: CodespecKind, _ arguments: [String], endpoints: [Endpoint] = []) -> Codespec {
    ConformancePrograms.image(TestEngine.conformanceImage).codespec(kind, arguments, endpoints: endpoints)
}
