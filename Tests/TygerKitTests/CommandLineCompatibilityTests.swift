import Foundation
import Testing
import TygerKit
import TygerTestSupport

/// The `tyger` command as Tyger users script it: upstream's flags, verbs, aliases, JSON and
/// words, run against the local backend.
@Suite struct CommandLineCompatibilityTests {
    private let tyger: String
    private let conformance: String
    private let home: TemporaryDirectory

    init() throws {
        tyger = try BuiltProduct.url("tyger").path
        conformance = try BuiltProduct.url("tyger-conformance").path
        home = try TemporaryDirectory()
    }

    private func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessResult {
        try await ChildProcess(
            URL(fileURLWithPath: tyger), arguments, environment: ["TYGER_HOME": home.path].merging(environment) { $1 }
        ).run()
    }

    private func file(_ name: String, _ text: String) throws -> String {
        try home.write(name, text)
    }

    /// Runs `arguments` and returns its standard output, failing the test when it fails.
    private func output(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await run(arguments)
        #expect(result.status == 0, "tyger \(arguments.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    private func quickRun(code: String = "0", tags: String = "") -> String {
        "job:\n  codespec:\n    command: [\(conformance), exit, \"\(code)\"]\n" + (tags.isEmpty ? "" : "tags: {\(tags)}\n")
    }

    // MARK: - codespec create

    @Test func codespecCreateTakesItsNameFromTheFile() async throws {
        let spec = try file("named.yaml", "name: from-file\nimage: busybox\ncommand: [echo]\n")
        #expect(try await output("codespec", "create", "-f", spec) == "1\n")
        #expect(JSONOutput.object(try await output("codespec", "show", "from-file"))?["version"] as? Int == 1)
        // A positional NAME wins over the file's.
        #expect(try await output("codespec", "create", "other", "-f", spec) == "1\n")
        #expect(JSONOutput.object(try await output("codespecs", "get", "other"))?["name"] as? String == "other")

        let nameless = try file("nameless.yaml", "image: busybox\ncommand: [echo]\n")
        let noName = try await run(["codespec", "create", "-f", nameless])
        #expect(noName.status == 1)
        #expect(noName.stderr.contains("a name for the codespec must be required"), "\(noName.stderr)")
        let nothing = try await run(["codespec", "create", "--image", "x"])
        #expect(nothing.stderr == "Error: if -f|--file is not provided, a name for the codespec is required\n", "\(nothing.stderr)")
    }

    @Test func codespecFlagsMeanWhatTheyMeanInTygersCLI() async throws {
        _ = try await output(
            "codespec", "create", "flags", "-k", "worker", "-r", "4", "-e", "A=1,B=2", "-e", "C=x,y", "-e", "D=k=v",
            "--endpoint", "rpc-main=7000", "--command", "--", "/bin/worker", "--serve")
        let shown = try #require(JSONOutput.object(try await output("codespec", "show", "flags")))
        #expect(shown["kind"] as? String == "worker")
        #expect(shown["maxReplicas"] as? Int == 4)
        // One '=': the whole value is one variable, commas included; several: a CSV record.
        #expect(shown["env"] as? [String: String] == ["A": "1", "B": "2", "C": "x,y", "D": "k=v"])
        #expect(shown["endpoints"] as? [String: Int] == ["rpc-main": 7000])
        #expect(shown["command"] as? [String] == ["/bin/worker", "--serve"])

        _ = try await output("codespec", "create", "buffered", "-i", "input,extra", "-o", "output", "--image", "x")
        let buffered = try #require(JSONOutput.object(try await output("codespec", "show", "buffered")))
        #expect(buffered["buffers"] as? [String: [String]] == ["inputs": ["input", "extra"], "outputs": ["output"]])

        let quoted = try await run(["codespec", "create", "q", "--image", "x", "-e", "\"A=1,2\",B=3"])
        #expect(quoted.status == 0, "\(quoted.stderr)")
        #expect(JSONOutput.object(try await output("codespec", "show", "q"))?["env"] as? [String: String] == ["A": "1,2", "B": "3"])
        let bad = try await run(["codespec", "create", "bad", "--image", "x", "-e", "A=1,2,B=3"])
        #expect(bad.stderr.contains(#"invalid argument "A=1,2,B=3" for "-e, --env" flag: 2 must be formatted as key=value"#), "\(bad.stderr)")
        #expect(!bad.stderr.contains("Usage:"), "a runtime error, not a usage error")
    }

    /// As in Tyger's CLI, a file's `kind` wins over `--kind`, which applies when the file has none.
    @Test func aFilesKindWinsOverTheFlag() async throws {
        let withKind = try file("job.yaml", "kind: job\nimage: x\ncommand: [a]\n")
        let result = try await run(["codespec", "create", "k1", "-f", withKind, "--kind", "worker"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("--kind worker is ignored"), "\(result.stderr)")
        #expect(JSONOutput.object(try await output("codespec", "show", "k1"))?["kind"] as? String == "job")
        let withoutKind = try file("plain.yaml", "image: x\ncommand: [a]\nendpoints: {rpc: 80}\n")
        _ = try await output("codespec", "create", "k2", "-f", withoutKind, "-k", "Worker")
        #expect(JSONOutput.object(try await output("codespec", "show", "k2"))?["kind"] as? String == "worker")
    }

    // MARK: - run create / exec

    @Test func runFlagsMergeWithTheFileAndRefuseWhatCannotBeHonoured() async throws {
        let spec = try file("tagged.yaml", quickRun(tags: "a: file, keep: yes"))
        let exec = try await run(["run", "exec", "-f", spec, "--tag", "a=flag,b=2", "--timeout", "1.5h"])
        #expect(exec.status == 0, "\(exec.stderr)")
        let shown = try #require(JSONOutput.object(try await output("run", "show", "1")))
        #expect(shown["tags"] as? [String: String] == ["a": "flag", "b": "2", "keep": "yes"])
        #expect(shown["timeoutSeconds"] as? Int == 5400)

        let buffer = try await run(["run", "create", "-f", spec, "-b", "input=abc"])
        #expect(buffer.status == 1)
        #expect(buffer.stderr.contains("job.buffers"), "\(buffer.stderr)")
        #expect(buffer.stderr.contains("the local backend moves no buffer data"), "\(buffer.stderr)")
        let ttl = try await run(["run", "create", "-f", spec, "--buffer-ttl", "5m"])
        #expect(ttl.stderr.contains("invalid buffer TTL format: 5m (should be D.HH:MM)"), "\(ttl.stderr)")
        let pull = try await run(["run", "exec", "-f", spec, "--pull"])
        #expect(pull.status == 1)
        #expect(pull.stderr.contains("--pull"), "\(pull.stderr)")
        #expect(pull.stderr.contains("the local backend runs no images"), "\(pull.stderr)")
        let listed = JSONOutput.array(try await output("run", "list"))
        #expect(listed?.count == 1, "nothing started for the refused runs")
    }

    /// `--logs` sends the log to standard error (standard output is Tyger's for buffer data),
    /// `--timestamps` starts each line with its time; a run of one job replica prints its
    /// lines unlabelled, and TygerKit's progress is on standard error, not in the log.
    @Test func execLogsGoWhereTygerPutsThem() async throws {
        let spec = try file("print.yaml", "job:\n  codespec:\n    command: [\(conformance), print, \"3\"]\n")
        let plain = try await run(["run", "exec", "-f", spec])
        #expect(plain.stdout.split(separator: "\n").sorted() == ["err 0", "err 2", "line 0", "line 1", "line 2"], "\(plain.stdout)")
        #expect(plain.stderr.contains("run 1: Succeeded"))
        let toStderr = try await run(["run", "exec", "-f", spec, "--logs", "--timestamps"])
        #expect(toStderr.stdout.isEmpty, "\(toStderr.stdout)")
        let stamped = toStderr.stderr.split(separator: "\n").filter { $0.hasSuffix("line 1") }
        #expect(stamped.count == 1, "\(toStderr.stderr)")
        let time = try #require(stamped.first?.split(separator: " ").first)
        #expect(try Date(String(time), strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) != nil)

        let logs = try await output("run", "logs", "2", "--tail", "1")
        #expect(logs.split(separator: "\n").count == 1, "\(logs)")
        #expect(try await output("run", "logs", "2", "--tail", "0").isEmpty)
        #expect(try await output("run", "logs", "2", "--since", "1 hour ago").split(separator: "\n").count == 5)
        #expect(try await output("run", "logs", "2", "-s", "+1 hour").isEmpty)
    }

    // MARK: - Verbs Tyger users script with

    @Test func watchPrintsOneCompactObjectPerChange() async throws {
        let spec = try file("sleep.yaml", "job:\n  codespec:\n    command: [\(conformance), sleep, \"0.3\"]\n")
        _ = try await output("run", "exec", "-f", spec)
        let lines = try #require(JSONOutput.lines(try await output("run", "watch", "1")))
        #expect(lines.count == 1, "a terminal run: one line, then the end")
        #expect(Set(lines[0].keys) == ["id", "status", "createdAt", "startedAt", "finishedAt"])
        #expect(lines[0]["id"] as? Int == 1 && lines[0]["status"] as? String == "Succeeded")
        let full = try #require(JSONOutput.lines(try await output("run", "watch", "1", "--full-resource")))
        #expect(full.first?["job"] != nil && full.first?["eTag"] != nil)

        let created = try await output("run", "create", "-f", spec)
        let id = created.trimmingCharacters(in: .whitespacesAndNewlines)
        let watched = try #require(JSONOutput.lines(try await output("run", "watch", id)))
        #expect(watched.last?["status"] as? String == "Succeeded", "\(watched)")
        #expect(watched.count >= 2, "\(watched)")
        let statuses = watched.compactMap { $0["status"] as? String }
        #expect(Set(statuses).isSubset(of: ["Pending", "Running", "Succeeded"]), "\(statuses)")
    }

    @Test func listCountsAndSetWorkAsInTyger() async throws {
        _ = try await run(["run", "exec", "-f", try file("a.yaml", quickRun(tags: "group: a"))])
        _ = try await run(["run", "exec", "-f", try file("b.yaml", quickRun(code: "2", tags: "group: b"))])
        _ = try await run(["run", "exec", "-f", try file("c.yaml", quickRun(tags: "group: a"))])

        let ids = { (text: String) in JSONOutput.array(text)?.compactMap { $0["id"] as? Int } }
        #expect(ids(try await output("run", "list")) == [3, 2, 1])
        #expect(ids(try await output("runs", "list", "--status", "failed")) == [2])
        #expect(ids(try await output("run", "list", "--status", "Failed", "--status", "SUCCEEDED", "-l", "2")) == [3, 2])
        #expect(ids(try await output("run", "list", "--tag", "group=a")) == [3, 1])
        #expect(ids(try await output("run", "list", "--since", "1 hour ago")) == [3, 2, 1])
        #expect(ids(try await output("run", "list", "--since", "2099-01-01T00:00:00Z")) == [])
        let badStatus = try await run(["run", "list", "--status", "done"])
        #expect(badStatus.stderr.contains("invalid argument \"done\" for \"--status\" flag"), "\(badStatus.stderr)")
        let badSince = try await run(["run", "list", "--since", "last tuesday-ish"])
        #expect(badSince.stderr.contains("failed to parse time last tuesday-ish"), "\(badSince.stderr)")

        #expect(try await output("run", "counts") == "{\n  \"failed\": 1,\n  \"succeeded\": 2\n}\n")
        #expect(try await output("run", "count", "--tag", "group=b") == "{\n  \"failed\": 1\n}\n")
        #expect(try await output("run", "counts", "--since", "2099-01-01") == "{}\n")

        let before = try #require(JSONOutput.object(try await output("run", "get", "1")))
        let eTag = try #require(before["eTag"] as? String)
        let set = try #require(JSONOutput.object(try await output("run", "set", "1", "--tag", "x=1", "--etag", eTag)))
        #expect(set["tags"] as? [String: String] == ["group": "a", "x": "1"])
        let stale = try await run(["run", "set", "1", "--tag", "y=2", "--etag", eTag])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("the server's ETag does not match the provided ETag"), "\(stale.stderr)")
        let banana = try await run(["run", "set", "1", "--clear-tags", "--etag", "banana"])
        #expect(banana.stderr.contains("the server's ETag does not match the provided ETag"), "\(banana.stderr)")
        let cleared = try #require(JSONOutput.object(try await output("run", "set", "1", "--clear-tags", "--tag", "only=this")))
        #expect(cleared["tags"] as? [String: String] == ["only": "this"])
        #expect(ids(try await output("run", "list", "--tag", "only=this")) == [1])
    }

    @Test func cancelingATerminalRunSaysWhyAsTygerDoes() async throws {
        _ = try await run(["run", "exec", "-f", try file("ok.yaml", quickRun())])
        let done = try await run(["run", "stop", "1"])
        #expect(done.status == 1)
        #expect(done.stderr == "Error: unable to cancel job 1 because its status is Succeeded\n", "\(done.stderr)")
        _ = try await run(["run", "exec", "-f", try file("fail.yaml", quickRun(code: "4"))])
        let failed = try await run(["run", "cancel", "2"])
        #expect(failed.stderr.contains("because its status is Failed (Main exited with code 4)"), "\(failed.stderr)")

        let sleeping = try file("sleep.yaml", "job:\n  codespec:\n    command: [\(conformance), sleep, \"300\"]\n")
        let id = try await output("run", "create", "-f", sleeping).trimmingCharacters(in: .whitespacesAndNewlines)
        let canceled = try await output("run", "cancel", id)
        #expect(["Cancel issued for job \(id)\n", "Job \(id) has been canceled\n"].contains(canceled), "\(canceled)")
        _ = try await output("run", "watch", id)
        #expect(try await output("run", "cancel", id) == "Job \(id) has been canceled\n", "canceling again changes nothing")
    }

    @Test func versionAndLogLevel() async throws {
        let version = try await output("--version")
        #expect(version == "tyger version \(TygerKitVersion.current)\n")
        #expect(try await output("-v") == version)
        let quiet = try await run(["run", "exec", "-f", try file("ok.yaml", quickRun())])
        #expect(!quiet.stderr.contains("run submitted"), "\(quiet.stderr)")
        let verbose = try await run(["run", "exec", "-f", try file("ok.yaml", quickRun()), "--log-level", "DEBUG"])
        #expect(verbose.stderr.contains("info TygerKit.LocalBackend"), "\(verbose.stderr)")
        #expect(verbose.stderr.contains("run submitted"), "\(verbose.stderr)")
        let bad = try await run(["run", "list", "--log-level", "loud"])
        #expect(bad.status != 0)
    }

    /// A worker written for a pod listens on its declared port; locally every replica has its
    /// own port, and the worker is named within seconds, on standard error, with what to do.
    @Test(.timeLimit(.minutes(1))) func aWorkerOnItsDeclaredPortIsNamedOnExecsStandardError() async throws {
        // A port free a moment ago, outside the range the local backend hands out.
        let declared = try TestListener().port
        let script = """
            import socket, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", \(declared))); s.listen(); time.sleep(60)
            """
        let spec = try file(
            "declared.yaml",
            """
            job:
              codespec:
                command: [\(conformance), exit, "0"]
            worker:
              codespec:
                command: [python3, -c, \(try String(data: JSONEncoder().encode(script), encoding: .utf8) ?? "")]
                endpoints: {rpc: \(declared)}
            timeoutSeconds: 8
            """)
        let exec = try await run(["run", "exec", "-f", spec])
        #expect(exec.status == 1)
        #expect(exec.stderr.contains("worker-0's endpoint 'rpc' was given port"), "\(exec.stderr)")
        #expect(exec.stderr.contains("it listens on \(declared) instead"), "\(exec.stderr)")
        #expect(exec.stderr.contains("read the port from TYGER_RPC_ENDPOINT_PORT"), "\(exec.stderr)")
        let shown = try #require(JSONOutput.object(try await output("run", "show", "1")))
        #expect(shown["status"] as? String == "Canceled")
        #expect(shown["statusReason"] as? String == "Run exceeded its timeout while pending")
    }
}
