import Foundation
import Synchronization
import Testing
import TygerKit

#if canImport(Glibc)
import Glibc
import TygerTestSupport
#endif

@Suite(.timeLimit(.minutes(1)))
struct LocalProcessTests {
    // MARK: - Exit

    @Test func exitCodes() async throws {
        let success = try LocalProcess.launch(ProcessLaunch(executable: "/bin/true"))
        #expect(await success.exit() == .exited(0))
        #expect(success.hasExited)

        let three = try sh("exit 3")
        #expect(await three.exit() == .exited(3))
        #expect(ProcessExit.exited(3).description == "exited with code 3")
    }

    @Test func signaledExit() async throws {
        let process = try sh("kill -9 $$")
        let exit = await process.exit()
        #expect(exit == .signaled(SIGKILL))
        #expect(exit.description == "killed by signal 9 (SIGKILL)")
    }

    @Test func severalWaitersGetTheSameExit() async throws {
        let process = try sh("sleep 0.5; exit 7")
        #expect(!process.hasExited)
        let exits = await withTaskGroup(of: ProcessExit.self) { group in
            for _ in 0..<5 { group.addTask { await process.exit() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(exits == Array(repeating: .exited(7), count: 5))
        #expect(process.hasExited)
    }

    // MARK: - Output

    @Test func outputLinesPerStream() async throws {
        let process = try sh("echo out1; echo err1 >&2; echo; echo out2; printf 'err2' >&2; printf tail")
        let lines = await collect(process)
        #expect(lines.filter { $0.stream == .stdout }.map(\.text) == ["out1", "", "out2", "tail"])
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == ["err1", "err2"])
        #expect(await process.exit() == .exited(0))
    }

    @Test func longLinesAreSplit() async throws {
        let maximum = 64 * 1024
        // 150,000 ASCII bytes, then 40,000 two-byte characters (80,000 bytes), each one line.
        let process = try sh(
            """
            head -c 150000 /dev/zero | tr '\\0' a; echo
            i=0; s=é; while [ $i -lt 15 ]; do s=$s$s; i=$((i+1)); done
            printf '%s' "$s$(printf '%s' "$s" | head -c 14464)"; echo
            """)
        let lines = await collect(process).map(\.text)
        #expect(lines.count == 5)
        guard lines.count == 5 else { return }
        #expect(lines[0] == String(repeating: "a", count: maximum))
        #expect(lines[1] == String(repeating: "a", count: maximum))
        #expect(lines[2] == String(repeating: "a", count: 150_000 - 2 * maximum))
        // Cut on a character boundary: no replacement characters, nothing lost.
        #expect(lines[3] + lines[4] == String(repeating: "é", count: 40_000))
        #expect(lines[3].utf8.count <= maximum && lines[3].utf8.count >= maximum - 3)
    }

    @Test func invalidUTF8IsRepaired() async throws {
        let process = try sh("printf 'a\\377b\\n'")
        #expect(await collect(process).map(\.text) == ["a\u{FFFD}b"])
    }

    // MARK: - Child setup

    @Test func childStartsClean() async throws {
        // Give the host an ignored signal and a descriptor without close-on-exec, the
        // two things a child would otherwise inherit across exec.
        signal(SIGPIPE, SIG_IGN)
        let leaked = open("/dev/null", O_RDONLY)
        try #require(leaked >= 0)
        defer { close(leaked) }

        // Each program inspects itself: a shell in between would report its own state.
        let status = try await lines(of: "/bin/grep", "-E", "^Sig(Ign|Blk):", "/proc/self/status")
        #expect(status == ["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"])
        // 3 is the directory ls is listing.
        #expect(try await lines(of: "/bin/ls", "-1", "/proc/self/fd") == ["0", "1", "2", "3"])
        #expect(try await lines(of: "/bin/readlink", "/proc/self/fd/0") == ["/dev/null"])

        let process = try sh("echo $$ $(cut -d' ' -f5 /proc/$$/stat)")
        #expect(await collect(process).map(\.text) == ["\(process.pid) \(process.pid)"])
    }

    // MARK: - Environment and directory

    @Test func environmentIsExactlyWhatWasGiven() async throws {
        let environment = ["ALPHA": "1", "WITH_SPACE": "x y", "EMPTY": "", "EQUALS": "a=b"]
        let process = try LocalProcess.launch(ProcessLaunch(executable: "/usr/bin/env", environment: environment))
        let lines = await collect(process).map(\.text)
        #expect(lines.sorted() == ["ALPHA=1", "EMPTY=", "EQUALS=a=b", "WITH_SPACE=x y"])
        #expect(await process.exit() == .exited(0))
    }

    @Test func workingDirectoryIsHonoured() async throws {
        let directory = try TemporaryDirectory()
        let process = try LocalProcess.launch(ProcessLaunch(executable: "/bin/pwd", workingDirectory: directory.path))
        #expect(await collect(process).map(\.text) == [directory.resolvedPath])
    }

    // MARK: - Launch failures

    @Test func missingExecutableFailsSynchronously() throws {
        let error = try #require(throws: LocalProcessError.self) {
            try LocalProcess.launch(ProcessLaunch(executable: "/nonexistent/tool"))
        }
        #expect(error.errno == ENOENT)
        #expect(error.executable == "/nonexistent/tool")
        #expect(error.description == "cannot start /nonexistent/tool: No such file or directory")
    }

    @Test func nonExecutableFileFailsSynchronously() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("script", "#!/bin/sh\nexit 0\n", mode: 0o644)
        let error = try #require(throws: LocalProcessError.self) {
            try LocalProcess.launch(ProcessLaunch(executable: file))
        }
        #expect(error.errno == EACCES)
        #expect(error.description == "cannot start \(file): Permission denied")
    }

    @Test func unknownFormatFailsSynchronously() async throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("garbage", "\u{1}\u{2}not a program", mode: 0o755)
        // ETXTBSY while a fork from a concurrently running test briefly holds a copy of
        // the descriptor that wrote the file; it goes away once that child execs.
        var error: LocalProcessError?
        for _ in 0..<50 {
            error = try #require(throws: LocalProcessError.self) {
                try LocalProcess.launch(ProcessLaunch(executable: file))
            }
            if error?.errno != ETXTBSY { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(error?.errno == ENOEXEC)
    }

    @Test func badWorkingDirectoryFailsSynchronously() throws {
        let error = try #require(throws: LocalProcessError.self) {
            try LocalProcess.launch(ProcessLaunch(executable: "/bin/true", workingDirectory: "/nope"))
        }
        #expect(error.errno == ENOENT)
        #expect(error.description == "cannot change to working directory /nope: No such file or directory")
    }

    @Test func relativeExecutableIsRejected() throws {
        let error = try #require(throws: LocalProcessError.self) {
            try LocalProcess.launch(ProcessLaunch(executable: "bin/true"))
        }
        #expect(error.errno == EINVAL)
    }

    // MARK: - Executable lookup

    @Test func lookupFollowsPathOrder() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.subdirectory("first")
        let second = try directory.subdirectory("second")
        let inFirst = try directory.write("first/tool", "", mode: 0o755)
        let inSecond = try directory.write("second/tool", "", mode: 0o755)

        #expect(try ExecutableLookup.resolve("tool", path: "\(first):\(second)", workingDirectory: nil) == inFirst)
        #expect(try ExecutableLookup.resolve("tool", path: "\(second):\(first)", workingDirectory: nil) == inSecond)
        #expect(
            try ExecutableLookup.resolve("tool", path: "first:\(second)", workingDirectory: directory.path) == inFirst)
    }

    @Test func lookupSkipsNonExecutableMatches() throws {
        let directory = try TemporaryDirectory()
        let first = try directory.subdirectory("first")
        let second = try directory.subdirectory("second")
        _ = try directory.write("first/tool", "", mode: 0o644)
        _ = try directory.subdirectory("first/dir-tool")
        let inSecond = try directory.write("second/tool", "", mode: 0o755)

        #expect(try ExecutableLookup.resolve("tool", path: "\(first):\(second)", workingDirectory: nil) == inSecond)

        let error = try #require(throws: LocalProcessError.self) {
            try ExecutableLookup.resolve("tool", path: first, workingDirectory: nil)
        }
        #expect(error.errno == EACCES)
        #expect(error.executable == "\(first)/tool")
    }

    @Test func lookupReportsMissingCommandAndPath() throws {
        let error = try #require(throws: LocalProcessError.self) {
            try ExecutableLookup.resolve("dir-tool-missing", path: "/nonexistent/a:/nonexistent/b", workingDirectory: nil)
        }
        #expect(error.errno == ENOENT)
        #expect(error.description.contains("dir-tool-missing"))
        #expect(error.description.contains("/nonexistent/a:/nonexistent/b"))
    }

    @Test func lookupUsesDefaultPath() throws {
        let resolved = try ExecutableLookup.resolve("sh", path: nil, workingDirectory: nil)
        let expected = ExecutableLookup.defaultPath.split(separator: ":").map { "\($0)/sh" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        #expect(resolved == expected)
    }

    @Test func lookupTakesSlashedNamesAsIs() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.subdirectory("bin")
        let tool = try directory.write("bin/tool", "", mode: 0o755)
        _ = try directory.write("bin/data", "", mode: 0o644)

        // A slash means no PATH search, even when PATH holds a match.
        #expect(try ExecutableLookup.resolve("./bin/tool", path: "/bin", workingDirectory: directory.path) == tool)
        #expect(try ExecutableLookup.resolve("bin/tool", path: nil, workingDirectory: directory.path) == tool)
        #expect(try ExecutableLookup.resolve("/bin/sh", path: "", workingDirectory: nil) == "/bin/sh")

        let missing = try #require(throws: LocalProcessError.self) {
            try ExecutableLookup.resolve("bin/none", path: nil, workingDirectory: directory.path)
        }
        #expect(missing.errno == ENOENT)
        #expect(missing.executable == "\(directory.path)/bin/none")

        let notExecutable = try #require(throws: LocalProcessError.self) {
            try ExecutableLookup.resolve("bin/data", path: nil, workingDirectory: directory.path)
        }
        #expect(notExecutable.errno == EACCES)
    }

    // MARK: - Termination

    @Test func terminateLetsACooperativeChildExit() async throws {
        let process = try sh("trap 'exit 0' TERM; echo ready; while :; do sleep 1; done")
        var lines = process.output.makeAsyncIterator()
        #expect(await lines.next()?.text == "ready")
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await process.terminate(gracePeriod: .seconds(20)) == .exited(0))
        #expect(clock.now - started < .seconds(10))
    }

    @Test func terminateKillsAChildIgnoringSIGTERMAfterTheGrace() async throws {
        let process = try sh("trap '' TERM; echo ready; sleep 100")
        var lines = process.output.makeAsyncIterator()
        #expect(await lines.next()?.text == "ready")
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await process.terminate(gracePeriod: .milliseconds(500)) == .signaled(SIGKILL))
        let elapsed = clock.now - started
        #expect(elapsed >= .milliseconds(500))
        #expect(elapsed < .seconds(10))
        // The grandchild `sleep` ignored SIGTERM too and went with the SIGKILL; otherwise
        // it would hold the pipes open and the output would not end.
        while await lines.next() != nil {}
    }

    @Test func theWholeProcessGroupIsSignalled() async throws {
        let process = try sh("sleep 100 & echo $!; wait")
        var lines = process.output.makeAsyncIterator()
        let grandchild = try #require(await lines.next().flatMap { pid_t($0.text) })
        #expect(isRunning(grandchild))
        #expect(await process.terminate(gracePeriod: .seconds(20)) == .signaled(SIGTERM))
        #expect(await waitUntilGone(grandchild, within: .seconds(5)))
    }

    @Test func signalGroupReachesGrandchildren() async throws {
        let process = try sh("sleep 100 & echo $!; wait")
        var lines = process.output.makeAsyncIterator()
        let grandchild = try #require(await lines.next().flatMap { pid_t($0.text) })
        process.signalGroup(SIGKILL)
        #expect(await process.exit() == .signaled(SIGKILL))
        #expect(await waitUntilGone(grandchild, within: .seconds(5)))
    }

    // MARK: - Scale and host death

    /// Runs in the probe so the descriptor count is not disturbed by tests running
    /// concurrently in this process; the comparison is exact.
    /// One batch, one outcome per launch in order: a launch that fails validation, one whose
    /// executable is missing and one whose directory is missing do not stop the others.
    @Test func aBatchReportsEachLaunchInOrder() async throws {
        let launches = [
            ProcessLaunch(executable: "/bin/sh", arguments: ["-c", "exit 11"]),
            ProcessLaunch(executable: "relative/tool"),
            ProcessLaunch(executable: "/nonexistent/tool"),
            ProcessLaunch(executable: "/bin/sh", arguments: ["-c", "exit 12"], workingDirectory: "/nonexistent/dir"),
            ProcessLaunch(
                executable: "/bin/sh", arguments: ["-c", "echo $TYGER_BATCH"], environment: ["TYGER_BATCH": "b"]),
        ]
        let outcomes = LocalProcess.launchAll(launches)
        try #require(outcomes.count == launches.count)

        let first = try outcomes[0].get()
        #expect(await first.exit() == .exited(11))
        #expect(throws: LocalProcessError.self) { try outcomes[1].get() }
        let missing = #expect(throws: LocalProcessError.self) { try outcomes[2].get() }
        #expect(missing?.errno == ENOENT)
        #expect(missing?.executable == "/nonexistent/tool")
        let noDirectory = #expect(throws: LocalProcessError.self) { try outcomes[3].get() }
        #expect(noDirectory?.description.contains("working directory /nonexistent/dir") == true)
        let last = try outcomes[4].get()
        #expect(await collect(last).map(\.text) == ["b"])
        #expect(await last.exit() == .exited(0))
        #expect(LocalProcess.launchAll([]).isEmpty)
    }

    @Test func manyConcurrentLaunchesLeakNothing() async throws {
        let result = try await ChildProcess(try BuiltProduct.url("tyger-process-probe"), ["launch-many", "200"]).run()
        #expect(result.status == 0, "\(result.stderr)")
        let fields = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        try #require(fields.count == 4, "unexpected probe output: \(result.stdout)")
        #expect(fields[0] == 200, "only \(fields[0]) of 200 exited 0")
        #expect(fields[2] == fields[3], "descriptors before: \(fields[2]), after: \(fields[3])")
    }

    /// PR_SET_PDEATHSIG fires when the forking *thread* ends; the launcher must fork on
    /// its own long-lived thread, not the caller's.
    @Test func childOutlivesTheThreadThatLaunchedIt() async throws {
        let launched = try launchOnShortLivedThread(
            ProcessLaunch(executable: "/bin/sh", arguments: ["-c", "sleep 0.3; exit 5"]))
        #expect(try await launched.get().exit() == .exited(5))
    }

    @Test func childrenDieWithTheirHost() async throws {
        let probe = Process()
        probe.executableURL = try BuiltProduct.url("tyger-process-probe")
        probe.arguments = ["sleep-child"]
        let pipe = Pipe()
        probe.standardOutput = pipe
        try probe.run()
        defer { if probe.isRunning { kill(probe.processIdentifier, SIGKILL) } }

        let handle = pipe.fileHandleForReading
        let line = try #require(await offPool { firstLine(of: handle) })
        let child = try #require(pid_t(line))
        #expect(isRunning(child))

        kill(probe.processIdentifier, SIGKILL)
        #expect(await waitUntilGone(child, within: .seconds(5)))
        await offPool { probe.waitUntilExit() }
    }
}

// MARK: - Helpers

private func sh(_ script: String) throws(LocalProcessError) -> LocalProcess {
    try LocalProcess.launch(ProcessLaunch(executable: "/bin/sh", arguments: ["-c", script]))
}

/// Launches from a fresh pthread and returns only after that thread has been joined.
private func launchOnShortLivedThread(_ launch: ProcessLaunch) throws -> Result<LocalProcess, LocalProcessError> {
    final class Context: Sendable {
        let launch: ProcessLaunch
        let result = Mutex<Result<LocalProcess, LocalProcessError>?>(nil)
        init(_ launch: ProcessLaunch) { self.launch = launch }
    }
    let context = Unmanaged.passRetained(Context(launch))
    var thread = pthread_t()
    let created = pthread_create(&thread, nil, { argument in
        let context = Unmanaged<Context>.fromOpaque(argument!).takeUnretainedValue()
        let result = Result { () throws(LocalProcessError) in try LocalProcess.launch(context.launch) }
        context.result.withLock { $0 = result }
        return nil
    }, context.toOpaque())
    defer { context.release() }
    try #require(created == 0)
    try #require(pthread_join(thread, nil) == 0)
    return try #require(context.takeUnretainedValue().result.withLock { $0 })
}

/// Runs a program to completion and returns its output lines, requiring exit 0.
private func lines(of executable: String, _ arguments: String...) async throws -> [String] {
    let process = try LocalProcess.launch(ProcessLaunch(executable: executable, arguments: arguments))
    let lines = await collect(process).map(\.text)
    let exit = await process.exit()
    try #require(exit == .exited(0), "\(executable) \(exit): \(lines)")
    return lines
}

private func collect(_ process: LocalProcess) async -> [OutputLine] {
    var lines: [OutputLine] = []
    for await line in process.output { lines.append(line) }
    return lines
}

/// Alive and not a zombie. Orphans are reparented to PID 1, and in some containers PID 1
/// never reaps them, so a killed process may linger as a zombie that `kill(pid, 0)`
/// still reports as present; a zombie is dead for every purpose that matters here.
private func isRunning(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 || errno != ESRCH else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let afterName = stat.range(of: ") ", options: .backwards)
    else { return false }
    return stat[afterName.upperBound...].first != "Z"
}

/// Polls every 20 ms rather than sleeping a fixed time.
private func waitUntilGone(_ pid: pid_t, within limit: Duration) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while clock.now < deadline {
        if !isRunning(pid) { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return !isRunning(pid)
}

private func firstLine(of handle: FileHandle) -> String? {
    var bytes: [UInt8] = []
    while let chunk = try? handle.read(upToCount: 1), let byte = chunk.first {
        if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
    }
    return nil
}
