import Foundation
import Testing
import TygerKit
import TygerTestSupport

/// What only the local backend does: processes, PATH lookup, restarts, start failures.
@Suite struct LocalBackendTests {
    private let conformance: String

    init() throws {
        conformance = try BuiltProduct.url("tyger-conformance").path
    }

    private func execute(
        _ spec: RunSpec,
        configure: (inout LocalBackend.Configuration) -> Void = { _ in }
    ) async throws -> (run: Run, logs: [String]) {
        try await withLocalBackend(configure) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let submitted = try await client.createRun(spec)
            let final = try await client.waitUntilTerminal(submitted.id)
            var logs: [String] = []
            for try await line in client.logs(of: submitted.id) { logs.append(line.description) }
            return (final, logs)
        }
    }

    private func job(_ command: [String], env: [String: String] = [:], workingDir: String? = nil) -> RunSpec {
        RunSpec(job: JobTarget(codespec: .inline(Codespec(command: command, workingDir: workingDir, env: env))))
    }

    @Test func expandsVariablesWithTheDollarEscape() async throws {
        let spec = job(
            [conformance, "env", "FIRST", "SECOND", "LITERAL", "UNKNOWN"],
            env: ["FIRST": "run-$(TYGER_RUN_ID)", "SECOND": "$(FIRST)/2", "LITERAL": "$$(FIRST)", "UNKNOWN": "$(NOPE)"]
        )
        let (run, logs) = try await execute(spec)
        #expect(run.status == .succeeded)
        #expect(logs.contains("[job] FIRST=run-\(run.id)"))
        #expect(logs.contains("[job] SECOND=run-\(run.id)/2"), "a value sees variables that sort before it")
        #expect(logs.contains("[job] LITERAL=$(FIRST)"))
        #expect(logs.contains("[job] UNKNOWN=$(NOPE)"), "unresolved references stay as written")
    }

    @Test func expandsCommandAndArguments() async throws {
        var spec = job(["$(TOOL)", "env", "$(NAME)"], env: ["TOOL": conformance, "NAME": "HOME"])
        spec.job.codespec = .inline(Codespec(command: ["$(TOOL)"], args: ["env", "$(NAME)"], env: ["TOOL": conformance, "NAME": "TOOL"]))
        let (run, logs) = try await execute(spec)
        #expect(run.status == .succeeded, "\(logs)")
        #expect(logs.contains("[job] TOOL=\(conformance)"))
    }

    @Test func looksCommandsUpInPathAndHonoursTheWorkingDirectory() async throws {
        let directory = try TemporaryDirectory()
        let (run, logs) = try await execute(job(["pwd"], workingDir: directory.url.path))
        #expect(run.status == .succeeded)
        #expect(logs.contains("[job] \(directory.url.path)"), "\(logs)")
    }

    @Test func aMissingExecutableFailsTheRunNamingTheReplica() async throws {
        var spec = job([conformance, "job-discovery", "rpc"])
        spec.worker = WorkerSpec(
            codespec: .inline(Codespec(kind: .worker, command: ["/nonexistent/worker"], endpoints: [Endpoint(name: "rpc", port: 1)])),
            replicas: 2
        )
        let (run, _) = try await execute(spec)
        #expect(run.status == .failed)
        let reason = try #require(run.statusReason)
        #expect(reason.contains("worker-0 could not start"), "\(reason)")
        #expect(reason.contains("/nonexistent/worker"), "\(reason)")
    }

    @Test func aWorkerWithoutPermissionFailsTheRun() async throws {
        let directory = try TemporaryDirectory()
        let script = directory.url.appendingPathComponent("worker.sh")
        try Data("#!/bin/sh\nexit 0\n".utf8).write(to: script)
        var spec = job([conformance, "exit", "0"])
        spec.worker = WorkerSpec(codespec: .inline(Codespec(kind: .worker, command: [script.path], endpoints: [Endpoint(name: "rpc", port: 1)])))
        let (run, _) = try await execute(spec)
        #expect(run.status == .failed)
        #expect(run.statusReason?.contains("Permission denied") == true, "\(run.statusReason ?? "")")
    }

    @Test func aJobThatCannotStartFailsTheRun() async throws {
        let (run, _) = try await execute(job(["no-such-command-anywhere"]))
        #expect(run.status == .failed)
        #expect(run.statusReason?.contains("The job could not start") == true)
        #expect(run.statusReason?.contains("no-such-command-anywhere") == true)
    }

    @Test func aWorkerThatExitsIsRestarted() async throws {
        let directory = try TemporaryDirectory()
        let marker = directory.url.appendingPathComponent("started-once").path
        var spec = job([conformance, "job-discovery", "rpc", "--expect-replicas", "1"])
        spec.worker = WorkerSpec(
            codespec: .inline(Codespec(kind: .worker, command: [conformance], args: ["worker", "--fail-first-start", marker], endpoints: [Endpoint(name: "rpc", port: 8080)]))
        )
        let (run, events, logs) = try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let submitted = try await client.createRun(spec)
            let final = try await client.waitUntilTerminal(submitted.id)
            var events: [RunEvent] = []
            for try await event in client.events(of: submitted.id) { events.append(event) }
            var logs: [String] = []
            for try await line in client.logs(of: submitted.id) { logs.append(line.description) }
            return (final, events, logs)
        }
        #expect(run.status == .succeeded, "\(logs)")
        let restart = try #require(events.first { $0.message.hasPrefix("worker-0 exited with code 1; restarting in") })
        #expect(restart.replica == "worker-0")
        // What the backend tells is an event; the log holds only what the programs printed.
        #expect(!logs.contains { $0.contains("restarting") }, "\(logs)")
        #expect(logs.allSatisfy { $0.hasPrefix("[job]") || $0.hasPrefix("[worker-0]") }, "\(logs)")
    }

    @Test func restartDelaysGrowAndAreCapped() async throws {
        var spec = job([conformance, "sleep", "300"])
        spec.worker = WorkerSpec(
            codespec: .inline(Codespec(kind: .worker, command: [conformance], args: ["exit", "2"], endpoints: [Endpoint(name: "rpc", port: 8080)])))
        let delays = try await withLocalBackend({
            $0.initialRestartDelay = .milliseconds(20)
            $0.maximumRestartDelay = .milliseconds(80)
        }) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let run = try await client.createRun(spec)
            var delays: [Int] = []
            // Reading the announced delays, not timing them, keeps this independent of machine load.
            for try await event in client.events(of: run.id, follow: true) where event.message.contains("restarting in") {
                let words = event.message.split(separator: " ")
                delays.append(Int(words[words.count - 2]) ?? -1)
                if delays.count == 5 { break }
            }
            let final = try await client.cancel(id: run.id)
            #expect([.canceling, .canceled].contains(final.status))
            return delays
        }
        #expect(delays == [20, 40, 80, 80, 80])
    }

    @Test func workersGetTheirIndexAndDistinctPorts() async throws {
        var spec = job([conformance, "exit", "0"])
        spec.worker = WorkerSpec(
            codespec: .inline(Codespec(kind: .worker, command: [conformance], args: ["worker"], endpoints: [Endpoint(name: "rpc", port: 8080), Endpoint(name: "admin", port: 8081)])),
            replicas: 3
        )
        let (run, logs) = try await execute(spec)
        #expect(run.status == .succeeded)
        let listening = logs.filter { $0.contains("listening on") }
        #expect(listening.count == 3)
        let ports = listening.flatMap { line in
            line.split(separator: " ").filter { $0.contains("=") }.compactMap { Int($0.split(separator: "=")[1]) }
        }
        #expect(ports.count == 6 && Set(ports).count == 6, "every replica and endpoint has its own port: \(ports)")
        for index in 0..<3 {
            #expect(listening.contains { $0.hasPrefix("[worker-\(index)] worker \(index) listening") })
        }
    }

    @Test func theLocalBackendRefusesWhatItCannotHonour() async throws {
        try await withLocalBackend { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            let gpu = RunSpec(job: JobTarget(codespec: .inline(Codespec(command: ["true"], resources: CodespecResources(gpu: 1)))))
            let error = await #expect(throws: TygerError.self) { _ = try await client.createRun(gpu) }
            #expect(error?.location?.keyPath == "job.codespec.resources.gpu")
            let imageOnly = RunSpec(job: JobTarget(codespec: .inline(Codespec(image: "ubuntu"))))
            let noCommand = await #expect(throws: TygerError.self) { _ = try await client.createRun(imageOnly) }
            #expect(noCommand?.location?.keyPath == "job.codespec.command")
            let runs = try await backend.runs(limit: nil)
            #expect(runs.isEmpty, "nothing was submitted")
        }
    }

    @Test func runsAreRecordedAndListedNewestFirst() async throws {
        let home = try TemporaryDirectory()
        try await withLocalBackend(home: home) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            for code in [0, 4] {
                let run = try await client.createRun(job([conformance, "exit", "\(code)"]))
                _ = try await client.waitUntilTerminal(run.id)
            }
            let runs = try await client.runs()
            #expect(runs.map(\.id.value) == [2, 1])
            #expect(runs.map(\.status) == [.failed, .succeeded])
            let missing = await #expect(throws: TygerError.self) { try await client.run(id: RunID(parsing: "99")) }
            #expect(missing?.code == .runNotFound)
        }
        let reopened = try await withLocalBackend(home: home) { try await $0.run(id: RunID(parsing: "2")) }
        #expect(reopened.statusReason == "Main exited with code 4")
    }
}
