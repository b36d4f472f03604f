import Foundation
import Logging
import Testing
@testable import TygerDocker
import TygerKit
import TygerTestSupport

/// `tyger --backend docker` as a user runs it: the example from its image, other processes
/// following a run, and a host killed with SIGKILL.
@Suite(.enabled(if: TestEngine.isAvailable, TestEngine.skipReason), .serialized)
struct DockerCommandLineTests {
    private static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `tyger` with `arguments` against `engine`, its state in `home`.
    private func tyger(_ engine: TestEngine, home: TemporaryDirectory, _ arguments: String...) async throws -> ProcessResult {
        try await ChildProcess(try BuiltProduct.url("tyger"), arguments, environment: engine.environment(home: home.url)).run()
    }

    private func runFile(_ home: TemporaryDirectory, job: [String], workers: Int) throws -> String {
        let quoted = { (words: [String]) in "[" + words.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        let text = """
            job:
              codespec:
                image: \(TestEngine.conformanceImage)
                command: ["tyger-conformance"]
                args: \(quoted(job))
            worker:
              codespec:
                image: \(TestEngine.conformanceImage)
                command: ["tyger-conformance"]
                args: ["worker"]
                endpoints:
                  rpc: 8080
              replicas: \(workers)
            timeoutSeconds: 300
            """
        let url = home.url.appendingPathComponent("run.yaml")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// What is left in the engine of run `id` of the store in `home`, looked up without opening a
    /// backend (which would remove what a dead host left).
    private func leftovers(_ engine: TestEngine, home: TemporaryDirectory, _ id: Int) async throws -> [String] {
        let runs = RunRecordStore(directory: home.url.appendingPathComponent("docker")).runsDirectory
        let client = EngineClient(socket: engine.socket, logger: Logger(label: "test"))
        let labels = ["\(RunObjects.runLabel)=\(id)", "\(RunObjects.scopeLabel)=\(RunObjects.scope(ofRunsDirectory: runs))"]
        do {
            let objects = try await client.objects(labeled: labels)
            await client.shutdown()
            return objects
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func status(_ engine: TestEngine, home: TemporaryDirectory, _ id: Int) async throws -> (String?, String?) {
        let shown = try await tyger(engine, home: home, "run", "show", "\(id)")
        let object = JSONOutput.object(shown.stdout)
        return (object?["status"] as? String, object?["statusReason"] as? String)
    }

    @Test("PrimeCount runs from its image: run exec -f Examples/PrimeCount/run.containers.yaml", arguments: TestEngine.all)
    func primeCount(_ engine: TestEngine) async throws {
        let home = try TemporaryDirectory()
        let file = Self.packageRoot.appendingPathComponent("Examples/PrimeCount/run.containers.yaml").path
        let result = try await tyger(engine, home: home, "run", "exec", "-f", file)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("primes below 2000000: 148933 (computed by 3 workers)"), "\(result.output)")
        #expect(try await leftovers(engine, home: home, 1).isEmpty)
    }

    @Test("show, list and logs -f work from other processes while the run executes", arguments: TestEngine.all)
    func otherProcessesFollow(_ engine: TestEngine) async throws {
        let home = try TemporaryDirectory()
        let file = try runFile(home, job: ["print", "30", "--every", "0.05"], workers: 2)
        let created = try await tyger(engine, home: home, "run", "create", "-f", file)
        #expect(created.status == 0, "\(created.output)")
        let id = try #require(Int(created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))

        let listed = try await tyger(engine, home: home, "run", "list")
        #expect(JSONOutput.array(listed.stdout)?.compactMap { $0["id"] as? Int } == [id], "\(listed.output)")
        let (during, _) = try await status(engine, home: home, id)
        #expect(["Pending", "Running", "Succeeded"].contains(during ?? ""), "\(during ?? "nil")")

        let followed = try await tyger(engine, home: home, "run", "logs", "\(id)", "-f")
        #expect(followed.status == 0, "\(followed.output)")
        #expect(followed.stdout.contains("[job] line 29"), "\(followed.stdout)")
        #expect(followed.stdout.contains("[job] err 28"), "stderr of the container is in the log too")
        #expect(try await eventually(within: .seconds(30)) { try await status(engine, home: home, id).0 == "Succeeded" })
        #expect(try await leftovers(engine, home: home, id).isEmpty)
    }

    @Test("A host killed with SIGKILL: the run shows Failed, and its containers are gone at the next command",
        arguments: TestEngine.all)
    func killedHost(_ engine: TestEngine) async throws {
        let home = try TemporaryDirectory()
        let file = try runFile(home, job: ["sleep", "300"], workers: 2)
        let created = try await tyger(engine, home: home, "run", "create", "-f", file)
        let id = try #require(Int(created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(created.output)")
        #expect(try await eventually(within: .seconds(60)) { try await status(engine, home: home, id).0 == "Running" })

        let hostFile = home.url.appendingPathComponent("docker/runs/\(id)/host")
        let identity = try String(contentsOf: hostFile, encoding: .utf8)
        let pid = try #require(Int32(identity.split(separator: " ").first ?? ""))
        #expect(kill(pid, SIGKILL) == 0)
        #expect(try await eventually { kill(pid, 0) != 0 }, "the host is gone")

        // The engine owns the containers: they outlive the host, and the run's record says Running.
        #expect(try await eventually { try await leftovers(engine, home: home, id).count == 4 })

        let (final, reason) = try await status(engine, home: home, id)
        #expect(final == "Failed")
        #expect(reason == "The process that executed the run exited before the run finished")
        #expect(try await leftovers(engine, home: home, id).isEmpty, "the next command removed the containers and network")
    }
}
