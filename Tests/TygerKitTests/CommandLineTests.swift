import Foundation
import Testing
import TygerKit
import TygerTestSupport

/// The `tyger` command end to end, as a user runs it.
@Suite struct CommandLineTests {
    private let tyger: URL
    private let conformance: String
    private let home: TemporaryDirectory

    init() throws {
        tyger = try BuiltProduct.url("tyger")
        conformance = try BuiltProduct.url("tyger-conformance").path
        home = try TemporaryDirectory()
    }

    private func command(_ arguments: [String], environment: [String: String] = [:]) -> ChildProcess {
        ChildProcess(tyger, arguments, environment: ["TYGER_HOME": home.url.path].merging(environment) { $1 })
    }

    private func tyger(_ arguments: String...) async throws -> ProcessResult {
        let child = command(arguments)
        try child.start()
        return await child.finish()
    }

    private func file(_ name: String, _ text: String) throws -> String {
        let url = home.url.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func theExampleCountsPrimesOnThreeWorkers() async throws {
        let products = URL(fileURLWithPath: conformance).deletingLastPathComponent().path
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let original = try String(contentsOf: packageRoot.appendingPathComponent("Examples/PrimeCount/run.yaml"), encoding: .utf8)
        let runFile = try file("prime-run.yaml", original.replacingOccurrences(of: ".build/debug", with: products))
        let result = try await tyger("run", "exec", "-f", runFile)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("[job] primes below 2000000: 148933 (computed by 3 workers)"), "\(result.stdout)")
        #expect(result.stderr.contains("all 3 worker replica(s) are ready; starting the job"), "\(result.stderr)")
        #expect(result.stderr.contains(": Succeeded"))
        for index in 0..<3 {
            #expect(result.stdout.contains("[worker-\(index)] worker \(index) listening"))
        }
    }

    @Test func execExitsNonZeroWhenTheRunFails() async throws {
        let runFile = try file("fail.yaml", "job:\n  codespec:\n    command: [\(conformance), exit, \"3\"]\n")
        let result = try await tyger("run", "exec", "-f", runFile)
        #expect(result.status == 1)
        #expect(result.stderr.contains("Failed (Main exited with code 3)"), "\(result.stderr)")
    }

    @Test func execReportsSpecErrorsWithTheirLocation() async throws {
        let runFile = try file("bad.yaml", "job:\n  codespec:\n    command: [x]\n  replicas: 0\n")
        let result = try await tyger("run", "exec", "-f", runFile)
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.yaml:4:3: job.replicas: replicas is 0; allowed: 1 to 100000"), "\(result.stderr)")
    }

    @Test func namedCodespecsAndFlagsMakeADistributedRun() async throws {
        let created = try await tyger(
            "codespec", "create", "cw", "--kind", "worker", "--endpoint", "rpc=7000,admin=7001", "--endpoint", "rpc=7002",
            "--command", "--", conformance, "worker")
        #expect(created.stdout == "1\n", "\(created.stderr)")
        let shown = try await tyger("codespec", "show", "cw")
        let endpoints = JSONOutput.object(shown.stdout)?["endpoints"] as? [String: Int]
        #expect(endpoints == ["rpc": 7002, "admin": 7001], "\(shown.stdout)")
        _ = try await tyger("codespec", "create", "cj", "--command", "--", conformance, "job-discovery", "rpc")
        let result = try await tyger("run", "exec", "-c", "cj", "--worker-codespec", "cw", "--worker-replicas", "2", "--timeout", "2m")
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        #expect(result.stdout.contains("\"replicas\":2"), "\(result.stdout)")
        let wrongKind = try await tyger("run", "exec", "-c", "cw")
        #expect(wrongKind.status != 0)
        #expect(wrongKind.stderr.contains("'cw' is a worker codespec, but the job target needs a job codespec"), "\(wrongKind.stderr)")
    }

    @Test func createdRunsCanBeShownFollowedAndCanceledFromOtherProcesses() async throws {
        let runFile = try file(
            "long.yaml",
            """
            job:
              codespec:
                command: [\(conformance), sleep, "300"]
            worker:
              codespec:
                command: [\(conformance), worker]
                endpoints: {rpc: 7000}
              replicas: 2
            """)
        let created = try await tyger("run", "create", "-f", runFile)
        #expect(created.status == 0, "\(created.stderr)")
        let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!id.isEmpty)
        var running = false
        for _ in 0..<200 where !running {
            running = JSONOutput.object(try await tyger("run", "show", id).stdout)?["status"] as? String == "Running"
            if !running { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(running)
        let canceled = try await tyger("run", "cancel", id)
        #expect(canceled.status == 0, "\(canceled.stderr)")
        #expect(["Cancel issued for job \(id)\n", "Job \(id) has been canceled\n"].contains(canceled.stdout), "\(canceled.stdout)")
        let logs = try await tyger("run", "logs", id, "--follow")
        #expect(logs.stdout.contains("[worker-1] worker 1 listening"), "\(logs.stdout)")
        // The log holds what the programs printed; why the run ended is its status reason.
        #expect(!logs.stdout.contains("Canceled by user"), "\(logs.stdout)")
        let shown = try await tyger("run", "show", id, "-o", "yaml")
        #expect(shown.stdout.contains("status: Canceled"), "\(shown.stdout)")
        #expect(shown.stdout.contains("statusReason: Canceled by user"), "\(shown.stdout)")
        let listed = try await tyger("run", "list")
        #expect(JSONOutput.array(listed.stdout)?.first?["id"] as? Int == Int(id), "\(listed.stdout)")
    }

    @Test func killingTheHostKillsEveryProcessOfTheRun() async throws {
        let marker = UUID().uuidString
        let runFile = try file(
            "host.yaml",
            """
            job:
              codespec:
                command: [\(conformance), sleep, "300"]
                env: {MARKER: \(marker)}
            worker:
              codespec:
                command: [\(conformance), worker]
                env: {MARKER: \(marker)}
                endpoints: {rpc: 7000}
              replicas: 3
            """)
        let host = command(["run", "exec", "-f", runFile])
        try host.start()
        var processes: [String] = []
        for _ in 0..<500 where processes.count < 4 {
            processes = ProcessScan.processes(withEnvironment: "MARKER", value: marker)
            if processes.count < 4 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(processes.count == 4, "the job and 3 workers run: \(processes)")
        host.kill()
        _ = await host.finish()
        let left = try await ProcessScan.waitUntilGone(variable: "MARKER", value: marker, within: .seconds(5))
        #expect(left.isEmpty, "processes outlived their host: \(left)")
        let shown = JSONOutput.object(try await tyger("run", "show", "1").stdout)
        #expect(shown?["status"] as? String == "Failed", "\(String(describing: shown))")
        #expect((shown?["statusReason"] as? String)?.contains("exited before the run finished") == true)
    }

    @Test func interruptingExecCancelsTheRunAndStopsItsProcesses() async throws {
        let marker = UUID().uuidString
        let runFile = try file(
            "interrupt.yaml",
            "job:\n  codespec:\n    command: [\(conformance), sleep, \"300\"]\n    env: {MARKER: \(marker)}\n")
        let exec = command(["run", "exec", "-f", runFile])
        try exec.start()
        var started = false
        for _ in 0..<500 where !started {
            started = !ProcessScan.processes(withEnvironment: "MARKER", value: marker).isEmpty
            if !started { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(started)
        kill(exec.process.processIdentifier, SIGINT)
        let result = await exec.finish()
        #expect(result.status == 1)
        #expect(result.stderr.contains("Canceled (Canceled by user)"), "\(result.stderr)")
        #expect(ProcessScan.processes(withEnvironment: "MARKER", value: marker).isEmpty)
    }
}
