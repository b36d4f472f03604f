import Foundation
import Logging
import Testing
@testable import TygerDocker
import TygerKit
import TygerTestSupport

/// What a run becomes on a real engine, beyond the shared conformance suite.
@Suite(.enabled(if: TestEngine.isAvailable, TestEngine.skipReason), .serialized)
struct DockerBackendTests {
    @Test("Workers listen on the declared port, each at its own run-<id>-worker-<i>; the job is told exactly that",
        arguments: TestEngine.all)
    func declaredPorts(_ engine: TestEngine) async throws {
        try await engine.withBackend { backend in
            let rpc = Endpoint(name: "rpc", port: 8080)
            let spec = try ResolvedRunSpec(
                job: .init(codespec: conformance(
                    .job, ["env", "TYGER_WORKER_NODES", "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES", "HOSTNAME"])),
                worker: .init(codespec: conformance(.worker, ["worker"], endpoints: [rpc]), replicas: 2))
            let finished = try await backend.execute(spec)
            let id = finished.run.id
            #expect(finished.run.status == .succeeded, "\(finished.run.statusReason ?? "")")
            #expect(finished.jobLines.contains("TYGER_WORKER_NODES=[\"run-\(id)-worker-0\",\"run-\(id)-worker-1\"]"))
            #expect(finished.jobLines.contains(
                "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES=[\"run-\(id)-worker-0:8080\",\"run-\(id)-worker-1:8080\"]"))
            #expect(finished.jobLines.contains("HOSTNAME=run-\(id)-job-0"))
            #expect(try await backend.leftovers(of: id).isEmpty)
        }
    }

    @Test("command and args meet the image's entrypoint and command as in a pod", arguments: TestEngine.all)
    func entrypointAndCommand(_ engine: TestEngine) async throws {
        let tarball = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../.build/images/conformance.tar").standardizedFileURL
        let data = try #require(
            try? Data(contentsOf: tarball), "run scripts/build-images.sh first: it leaves \(tarball.path)")
        let image = "tygerkit/conformance-entrypoint:test"
        let client = EngineClient(socket: engine.socket, logger: .init(label: "test"))
        try await client.importImage(
            tarball: data, repository: image,
            changes: ["ENV PATH=/usr/local/bin:/bin", #"ENTRYPOINT ["tyger-conformance"]"#, #"CMD ["env", "IMAGE_CMD"]"#])
        await client.shutdown()
        try await engine.withBackend { (backend: DockerBackend) async throws in
            func job(command: [String], args: [String]) async throws -> [String] {
                let codespec = Codespec(kind: .job, image: image, command: command, args: args)
                let finished = try await backend.execute(try ResolvedRunSpec(job: .init(codespec: codespec)))
                #expect(finished.run.status == .succeeded, "\(finished.run.statusReason ?? "")")
                return finished.jobLines
            }
            #expect(try await job(command: [], args: []) == ["IMAGE_CMD unset"])
            #expect(try await job(command: [], args: ["env", "ARGS_ONLY"]) == ["ARGS_ONLY unset"])
            #expect(try await job(command: ["tyger-conformance", "env", "COMMAND_ONLY"], args: []) == ["COMMAND_ONLY unset"])
            #expect(try await job(command: ["tyger-conformance"], args: ["env", "BOTH"]) == ["BOTH unset"])
        }
    }

    @Test("Lists too long for the environment reach the job as files mounted into its container", arguments: TestEngine.all)
    func discoveryFiles(_ engine: TestEngine) async throws {
        try await engine.withBackend({ $0.discoveryInlineLimit = 10 }) { backend in
            let spec = try ResolvedRunSpec(
                job: .init(codespec: conformance(.job, ["job-discovery", "rpc", "--expect-replicas", "2"])),
                worker: .init(codespec: conformance(.worker, ["worker"], endpoints: [Endpoint(name: "rpc", port: 8080)]), replicas: 2))
            let finished = try await backend.execute(spec)
            #expect(finished.run.status == .succeeded, "\(finished.run.statusReason ?? "")\n\(finished.logs.map(\.text))")
            let events = try await collect(backend.events(of: finished.run.id, follow: false))
            #expect(events.contains { $0.message.contains("they are in files") })
        }
    }

    @Test("A worker that exits is started again, as a new container with the same name; cancel removes everything",
        arguments: TestEngine.all)
    func workerRestarts(_ engine: TestEngine) async throws {
        try await engine.withBackend { backend in
            let spec = try ResolvedRunSpec(
                job: .init(codespec: conformance(.job, ["exit", "0"])),
                worker: .init(codespec: conformance(.worker, ["exit", "1"], endpoints: [Endpoint(name: "rpc", port: 8080)])))
            let run = try await backend.submit(spec)
            let restarted = try await eventually(within: .seconds(30), every: .milliseconds(50)) {
                let events = try await collect(backend.events(of: run.id, follow: false))
                return events.filter { $0.message.contains("worker-0 exited with code 1; restarting") }.count >= 2
            }
            #expect(restarted)
            #expect(try await backend.run(id: run.id).status == .pending)
            _ = try await backend.cancel(id: run.id)
            let final = try await backend.waitUntilTerminal(run.id)
            #expect(final.status == .canceled)
            #expect(try await backend.leftovers(of: run.id).isEmpty)
        }
    }

    @Test("An image the engine lacks is refused before anything is created, naming it", arguments: TestEngine.all)
    func missingImage(_ engine: TestEngine) async throws {
        try await engine.withBackend { backend in
            let codespec = Codespec(kind: .job, image: "tygerkit/not-built-anywhere:dev", command: ["true"])
            let spec = try ResolvedRunSpec(job: .init(codespec: codespec))
            let error = await #expect(throws: TygerError.self) { _ = try await backend.submit(spec) }
            #expect(error?.message.contains("tygerkit/not-built-anywhere:dev") == true)
            #expect(error?.message.contains("scripts/build-images.sh") == true)
            #expect(try await backend.runs().isEmpty)
        }
    }

    @Test("GPUs: refused up front where the engine would drop them, else the engine's own reason", arguments: TestEngine.all)
    func gpus(_ engine: TestEngine) async throws {
        try await engine.withBackend { backend in
            let codespec = Codespec(
                kind: .job, image: TestEngine.conformanceImage, command: ["tyger-conformance"], args: ["exit", "0"],
                resources: CodespecResources(gpu: 1))
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let spec = RunSpec(job: JobTarget(codespec: .inline(codespec)))
            if backend.capabilities.gpus {
                let run = try await client.createRun(spec)
                let final = try await client.waitUntilTerminal(run.id)
                #expect(final.status == .failed)
                #expect(final.statusReason?.contains("gpu") == true, "\(final.statusReason ?? "")")
                #expect(try await backend.leftovers(of: run.id).isEmpty)
            } else {
                let error = await #expect(throws: TygerError.self) { _ = try await client.createRun(spec) }
                #expect(error?.message.contains("cannot provide GPUs") == true, "\(error?.message ?? "")")
            }
        }
    }
}

func collect<Element: Sendable>(_ stream: AsyncThrowingStream<Element, any Error>) async throws -> [Element] {
    var elements: [Element] = []
    for try await element in stream { elements.append(element) }
    return elements
}
