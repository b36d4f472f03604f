import Foundation
import Testing
import TygerKit
import TygerTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The `tyger` command as a hostile user drives it: closed outputs, pipes that go away,
/// signals, damaged state, full disks, low limits. No crash, no hang, no lost status, and
/// an error a person can act on.
@Suite struct CommandLineAbuseTests {
    private let tyger: String
    private let conformance: String
    private let home: TemporaryDirectory

    init() throws {
        tyger = try BuiltProduct.url("tyger").path
        conformance = try BuiltProduct.url("tyger-conformance").path
        home = try TemporaryDirectory()
    }

    /// Runs `script` in bash with `$TYGER` naming the command and the test's state directory.
    private func shell(_ script: String, environment: [String: String] = [:]) async throws -> ProcessResult {
        try await ChildProcess(
            URL(fileURLWithPath: "/bin/bash"), ["-c", script],
            environment: ["TYGER": tyger, "TYGER_HOME": home.path, "CONFORMANCE": conformance].merging(environment) { $1 }
        ).run()
    }

    private func file(_ name: String, _ text: String) throws -> String {
        try home.write(name, text)
    }

    private var printingJob: String {
        "job:\n  codespec:\n    command: [\(conformance), print, \"2000\"]\n"
    }

    private func status(of id: Int) async throws -> String? {
        let shown = try await shell("\"$TYGER\" run show \(id)")
        return JSONOutput.object(shown.stdout)?["status"] as? String
    }

    // MARK: - Closed and broken outputs

    @Test func closedOutputsDoNotCrashExecOrLogs() async throws {
        let run = try file("print.yaml", printingJob)
        let closedOut = try await shell("\"$TYGER\" run exec -f \(run) >&-")
        #expect(closedOut.status == 0, "\(closedOut.stderr)")
        let closedError = try await shell("\"$TYGER\" run exec -f \(run) 2>&-")
        #expect(closedError.status == 0)
        let logs = try await shell("\"$TYGER\" run logs 1 >&-")
        #expect(logs.status == 0, "\(logs.stderr)")
        #expect(try await status(of: 1) == "Succeeded")
        #expect(try await status(of: 2) == "Succeeded")
        for result in [closedOut, closedError, logs] {
            #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), "\(result.stderr)")
        }
    }

    /// `| head -1` closes the pipe after one line: the run goes on to its end, and what exec
    /// reports is what show reports afterwards.
    @Test func aReaderThatGoesAwayDoesNotEndTheRun() async throws {
        let run = try file("print.yaml", printingJob)
        let result = try await shell("set -o pipefail; \"$TYGER\" run exec -f \(run) | head -1; echo \"exec=${PIPESTATUS[0]}\"")
        #expect(result.stdout.contains("exec=0"), "\(result.stdout)\(result.stderr)")
        #expect(try await status(of: 1) == "Succeeded")
    }

    /// `run create` whose own reader is gone at once still leaves a run that executes to the end.
    @Test func runCreateWhoseReaderGoesAwayStillRunsTheRun() async throws {
        let run = try file("quick.yaml", "job:\n  codespec:\n    command: [\(conformance), exit, \"0\"]\n")
        _ = try await shell("\"$TYGER\" run create -f \(run) | true")
        #expect(try await eventually(within: .seconds(20)) { try await status(of: 1) == "Succeeded" })
    }

    /// SIGHUP (a closed terminal) and SIGTERM to `run exec` cancel its run and stop its processes.
    @Test(arguments: ["HUP", "TERM"])
    func signalsToExecCancelTheRun(_ signal: String) async throws {
        let marker = UUID().uuidString
        let run = try file(
            "sleep.yaml",
            "job:\n  codespec:\n    command: [/bin/sh, -c, \"sleep 1000 & sleep 1000\"]\n    env: {MARKER: \(marker)}\n")
        let exec = ChildProcess(
            URL(fileURLWithPath: tyger), ["run", "exec", "-f", run], environment: ["TYGER_HOME": home.path])
        try exec.start()
        #expect(try await eventually { ProcessScan.processes(withEnvironment: "MARKER", value: marker).count == 3 })
        _ = try await shell("kill -\(signal) \(exec.process.processIdentifier)")
        let result = await exec.finish()
        #expect(result.status == 1)
        #expect(result.stderr.contains("Canceled (Canceled by user)"), "\(result.stderr)")
        #expect(ProcessScan.processes(withEnvironment: "MARKER", value: marker).isEmpty)
        #expect(try await status(of: 1) == "Canceled")
    }

    /// `logs --follow` on a run whose host was killed ends with the reason and a failing status.
    @Test func followingTheLogsOfARunWhoseHostDiedSaysSo() async throws {
        let run = try file("sleep.yaml", "job:\n  codespec:\n    command: [\(conformance), sleep, \"300\"]\n")
        let created = try await shell("\"$TYGER\" run create -f \(run)")
        #expect(created.stdout == "1\n", "\(created.stderr)")
        let host = try String(contentsOf: home.url.appendingPathComponent("runs/1/host"), encoding: .utf8)
        let follower = ChildProcess(
            URL(fileURLWithPath: tyger), ["run", "logs", "1", "--follow"], environment: ["TYGER_HOME": home.path])
        try follower.start()
        _ = try await shell("kill -KILL \(host.split(separator: " ")[0])")
        let result = await follower.finish()
        #expect(result.status == 1)
        #expect(result.stderr.contains("exited before the run finished"), "\(result.stderr)")
    }

    /// Five runs of 40 workers at once, from five processes sharing the state directory: no
    /// port is given twice, and every job reaches its own run's workers only.
    @Test(.timeLimit(.minutes(3))) func concurrentRunsNeverCross() async throws {
        let run = try file(
            "forty.yaml",
            """
            job:
              codespec:
                command: [\(conformance), job-discovery, rpc, --expect-replicas, "40"]
            worker:
              codespec:
                command: [\(conformance), worker]
                endpoints: {rpc: 7000}
              replicas: 40
            """)
        let runs = (0..<5).map { _ in
            ChildProcess(URL(fileURLWithPath: tyger), ["run", "exec", "-f", run], environment: ["TYGER_HOME": home.path])
        }
        for process in runs { try process.start() }
        for process in runs {
            let result = await process.finish()
            #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(2000))")
            #expect(result.stdout.contains("\"replicas\":40"))
        }
    }

    // MARK: - Damaged state and bad input

    @Test func aStateDirectoryThatIsAFileIsAClearError() async throws {
        let notADirectory = try home.write("state", "not a directory")
        let result = try await shell(
            "\"$TYGER\" codespec create x --command -- /bin/true", environment: ["TYGER_HOME": notADirectory])
        #expect(result.status != 0)
        #expect(result.stderr.contains(notADirectory), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("Error Domain"), "\(result.stderr)")
    }

    @Test func anEmptyStateDirectoryVariableMeansTheDefault() async throws {
        let user = try TemporaryDirectory()
        let result = try await shell(
            "\"$TYGER\" codespec create x --command -- /bin/true", environment: ["TYGER_HOME": "", "HOME": user.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: user.url.appendingPathComponent(".tyger/codespecs/x/1.json").path))
    }

    @Test func aDirectoryAsSpecFileIsAClearError() async throws {
        let result = try await shell("\"$TYGER\" run exec -f \(home.path)")
        #expect(result.status != 0)
        #expect(result.stderr.contains("it is a directory"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func controlCharactersInNamesAreEscaped() async throws {
        let codespec = try file("nul.yaml", "name: \"a\\0b\\e[31m\"\ncommand: [x]\n")
        let result = try await shell("\"$TYGER\" codespec create -f \(codespec) x 2>&1 | od -c | head -50")
        #expect(result.status == 0)
        let raw = try await shell("\"$TYGER\" codespec create x -f \(codespec)")
        #expect(!raw.stderr.utf8.contains(0) && !raw.stderr.utf8.contains(0x1B), "control bytes reached the terminal")
    }

    @Test func oneDamagedCodespecDoesNotHideTheOthers() async throws {
        for name in ["alpha", "beta", "gamma"] {
            _ = try await shell("\"$TYGER\" codespec create \(name) --command -- /bin/true")
        }
        let damaged = try home.write("codespecs/beta/1.json", "{ not json")
        let listed = try await shell("\"$TYGER\" codespec list -o json")
        #expect(listed.status == 1)
        #expect(listed.stdout.contains("\"alpha\"") && listed.stdout.contains("\"gamma\""), "\(listed.stdout)")
        #expect(listed.stderr.contains(damaged), "\(listed.stderr)")
    }

    @Test func oneDamagedRunRecordDoesNotHideTheOthers() async throws {
        let run = try file("quick.yaml", "job:\n  codespec:\n    command: [\(conformance), exit, \"0\"]\n")
        for _ in 0..<2 { _ = try await shell("\"$TYGER\" run exec -f \(run)") }
        let damaged = try home.write("runs/1/run.json", "{ damaged")
        let listed = try await shell("\"$TYGER\" run list")
        #expect(listed.status == 1)
        #expect(JSONOutput.array(listed.stdout)?.map { $0["id"] as? Int } == [2], "\(listed.stdout)")
        #expect(listed.stderr.contains(damaged), "\(listed.stderr)")
    }

    @Test func aVersionFileWithTheLargestNumberIsAClearError() async throws {
        _ = try await shell("\"$TYGER\" codespec create x --command -- /bin/true")
        let first = try String(contentsOf: home.url.appendingPathComponent("codespecs/x/1.json"), encoding: .utf8)
        try home.write("codespecs/x/\(Int.max).json", first.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : \(Int.max)"))
        let result = try await shell("\"$TYGER\" codespec create x --command -- /bin/false")
        #expect(result.status != 0)
        #expect(result.stderr.contains("has reached the largest version number"), "\(result.stderr)")
    }

    @Test(arguments: [
        (["run", "exec", "-c", "x", "--timeout", "0s"], "is too short"),
        (["run", "exec", "-c", "x", "--timeout", "9999999999h"], "is too long; allowed: at most 87600h"),
        (["run", "exec", "-c", "x", "--timeout", "5 minutes"], "is not a duration"),
        (["run", "exec", "-c", "x", "-r", "-1"], "replicas is -1; allowed: 1 to 100000"),
        (["run", "exec", "-c", "x", "--replicas", "99999999999999999999"], "is too large"),
        (["codespec", "create", "x", "--endpoint", "rpc=1,rpc=2"], "gives the endpoint 'rpc' twice"),
        (["codespec", "create", "x", "--command"], "--command takes the command from the values after --"),
    ])
    func unclearFlagsGetClearErrors(_ arguments: [String], _ expected: String) async throws {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let result = try await shell("\"$TYGER\" \(quoted)")
        #expect(result.status != 0)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test func aNULInTheWorkingDirectoryIsRefused() async throws {
        let codespec = try file("dir.yaml", "name: x\ncommand: [/bin/true]\nworkingDir: \"/tmp\\0/x\"\n")
        let result = try await shell("\"$TYGER\" codespec create -f \(codespec) x")
        #expect(result.status != 0)
        #expect(result.stderr.contains("workingDir must not contain a NUL character"), "\(result.stderr)")
    }

    @Test func anOverflowingTimeoutInAFileIsAClearError() async throws {
        let run = try file("timeout.yaml", "job:\n  codespec:\n    command: [/bin/true]\ntimeoutSeconds: 9223372036854775806\n")
        let result = try await shell("\"$TYGER\" run exec -f \(run)")
        #expect(result.status != 0)
        #expect(result.stderr.contains("timeoutSeconds is 9223372036854775806; allowed: 1 to 315360000"), "\(result.stderr)")
    }

    // MARK: - Limits

    /// With few descriptors, a run that needs more is refused at once, saying so.
    @Test func tooFewDescriptorsIsAClearErrorUpFront() async throws {
        let run = try file(
            "many.yaml",
            "job:\n  codespec:\n    command: [/bin/true]\nworker:\n  codespec:\n    command: [/bin/true]\n  replicas: 40\n")
        let result = try await shell("ulimit -n 64; \"$TYGER\" run exec -f \(run)")
        #expect(result.status != 0)
        #expect(result.stderr.contains("file descriptors"), "\(result.stderr)")
        #expect(!result.stderr.contains("Bad file descriptor"))
    }

    /// At the process limit (`ulimit -u`, enforced for users other than root) a run is refused
    /// at once instead of hanging with every slot taken.
    @Test(.enabled(if: getuid() == 0 && SystemTool.url("setpriv") != nil, "needs root to run as another user"))
    func theProcessLimitIsAClearErrorUpFront() async throws {
        let state = try TemporaryDirectory()
        _ = try await shell("chmod 0777 \(state.path)")
        let run = try state.write(
            "many.yaml",
            "job:\n  codespec:\n    command: [/bin/true]\nworker:\n  codespec:\n    command: [/bin/true]\n  replicas: 100\n")
        _ = try await shell("chmod 0644 \(run)")
        let result = try await shell(
            "setpriv --reuid=65534 --regid=65534 --clear-groups /bin/bash -c 'ulimit -u 60 && exec \"$TYGER\" run exec -f \(run)'",
            environment: ["TYGER_HOME": state.path, "HOME": state.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("processes") && result.stderr.contains("ulimit -u 60"), "\(result.stderr)")
    }

    /// On a full disk, a run's log lines that cannot be stored are dropped, the run ends as it
    /// should, and `show` afterwards says what `exec` said. A run that cannot be created at
    /// all leaves no empty folder.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a small file system"))
    func aFullDiskLosesNoStatus() async throws {
        let disk = try TemporaryDirectory()
        let mounted = try await shell("mount -t tmpfs -o size=2m tmpfs \(disk.path)")
        try #require(mounted.status == 0, "\(mounted.stderr)")
        defer { _ = Glibc.umount2(disk.path, Int32(MNT_DETACH)) }
        let run = try home.write("print.yaml", "job:\n  codespec:\n    command: [\(conformance), print, \"200000\"]\n")
        let result = try await shell("\"$TYGER\" run exec -f \(run) > /dev/null", environment: ["TYGER_HOME": disk.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Succeeded"), "\(result.stderr)")
        let shown = try await shell("\"$TYGER\" run show 1", environment: ["TYGER_HOME": disk.path])
        #expect(JSONOutput.object(shown.stdout)?["status"] as? String == "Succeeded", "\(shown.stdout)\(shown.stderr)")

        _ = try await shell("cat /dev/zero > \(disk.path)/filler 2>/dev/null; true")
        let second = try await shell("\"$TYGER\" run exec -f \(run)", environment: ["TYGER_HOME": disk.path])
        #expect(second.status != 0)
        #expect(second.stderr.contains("No space left on device"), "\(second.stderr)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: disk.url.appendingPathComponent("runs").path)
        for folder in folders where !folder.hasPrefix(".") {
            let contents = try FileManager.default.contentsOfDirectory(
                atPath: disk.url.appendingPathComponent("runs/\(folder)").path)
            #expect(!contents.isEmpty, "run folder \(folder) was left empty")
        }
    }
}
