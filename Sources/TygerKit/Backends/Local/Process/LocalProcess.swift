import CTygerProcess
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started by the local backend, in its own process group, killed by
/// the kernel if the host process dies, and watched without a thread of its own.
///
/// Lifetime: after the child exits, its zombie is kept (not reaped) for as long as this
/// object lives. That reserves the pid and the process-group id, so ``signalGroup(_:)``
/// and ``terminate(gracePeriod:)`` can never hit an unrelated process that recycled the
/// pid, even after the exit. Dropping the last reference reaps it. Keep the object while
/// you may still signal the group; do not hold finished ones indefinitely.
package final class LocalProcess: Sendable {
    package let pid: Int32
    /// How the child was isolated from the host's other processes.
    package let isolation: ProcessIsolation
    private let monitor: ProcessMonitor

    /// Everything the child writes to stdout and stderr, line by line, in order within
    /// each stream. Ends once the child has exited and both pipes are at EOF; a grandchild
    /// that inherited the pipes keeps it open. Single consumer. Lines are buffered without
    /// limit until consumed, so consume it.
    package var output: AsyncStream<OutputLine> { monitor.output }

    /// Starts `launch.executable` right away; returns once the child has exec'd.
    ///
    /// Fails synchronously when the executable cannot be started (its errno in the error,
    /// e.g. `ENOENT`, `EACCES`, `ENOEXEC`) or the working directory cannot be entered.
    package static func launch(_ launch: ProcessLaunch) throws(LocalProcessError) -> LocalProcess {
        guard let outcome = launchAll([launch]).first else { preconditionFailure("one outcome per launch") }
        return try outcome.get()
    }

    /// Starts every launch, in order, and returns one outcome per launch once each child
    /// has exec'd or failed to; one failure does not stop the others.
    ///
    /// Prefer this to one ``launch(_:)`` per child when many start together: the children
    /// are handed to the spawner thread at once, so the host does not wait for a time
    /// slice per child while the ones already started keep the CPU busy.
    package static func launchAll(_ launches: [ProcessLaunch]) -> [Result<LocalProcess, LocalProcessError>] {
        // Launches that fail validation keep their error; the others are replaced below.
        var outcomes: [Result<LocalProcess, LocalProcessError>] = []
        var startable: [Int] = []
        for (index, launch) in launches.enumerated() {
            do throws(LocalProcessError) {
                try validate(launch)
                startable.append(index)
                let notYet = spawnError(launch, stage: Int32(TYGER_SPAWN_STAGE_SETUP.rawValue), errno: ECANCELED)
                outcomes.append(.failure(notYet))
            } catch {
                outcomes.append(.failure(error))
            }
        }
        let requests = SpawnRequests(startable.map { launches[$0] })
        var results = [tyger_spawn_result](repeating: tyger_spawn_result(), count: startable.count)
        requests.withRequests { requestPointer in
            results.withUnsafeMutableBufferPointer { resultPointer in
                _ = tyger_spawn_all(requestPointer, resultPointer.baseAddress, startable.count)
            }
        }
        for (index, result) in zip(startable, results) {
            outcomes[index] =
                if result.stage == Int32(TYGER_SPAWN_OK.rawValue) {
                    .success(
                        LocalProcess(
                            pid: result.pid, isolation: launches[index].isolation,
                            monitor: ProcessMonitor(
                                pid: result.pid, stdoutFD: result.stdout_fd, stderrFD: result.stderr_fd,
                                pidfd: result.pidfd)))
                } else {
                    .failure(spawnError(launches[index], stage: result.stage, errno: result.error))
                }
        }
        return outcomes
    }

    private init(pid: Int32, isolation: ProcessIsolation, monitor: ProcessMonitor) {
        self.pid = pid
        self.isolation = isolation
        self.monitor = monitor
    }

    deinit {
        monitor.handleReleased()
    }

    /// Waits for the child to exit. Any number of tasks may wait; all get the same value.
    /// Does not return early when the waiting task is cancelled: stop the child instead.
    package func exit() async -> ProcessExit {
        await monitor.exit()
    }

    package var hasExited: Bool { monitor.exitIfKnown != nil }

    /// Waits until ``output`` has ended: the child exited and both pipes are closed.
    package func outputEnded() async {
        await monitor.outputEnded()
    }

    /// Asks the child and its group to stop: SIGTERM to the group. A child that is the first
    /// process of its own PID namespace does not get SIGTERM's default action from the kernel
    /// (signals it does not handle are dropped for such a process, as in a container), so
    /// when it neither handles nor ignores SIGTERM it gets what that default would have done
    /// outside a namespace: it is killed.
    package func requestStop() {
        signalGroup(SIGTERM)
        guard isolation.containsDescendants, monitor.mayStillSignal else { return }
        if let dispositions = SignalDispositions(pid: pid), !dispositions.handles(SIGTERM) {
            _ = kill(pid, SIGKILL)
        }
    }

    /// Stops reading the child's output now: ``output`` ends after the lines already read.
    /// For a child whose pipes a descendant keeps open after the child has gone.
    package func closeOutput() {
        monitor.closeOutput()
    }

    /// Sends `signal` to the child's whole process group (the child and everything it
    /// started that stayed in the group); to the child alone if the group is gone, e.g.
    /// because the child moved itself to another group.
    package func signalGroup(_ signal: Int32) {
        guard monitor.mayStillSignal else { return }
        if kill(-pid, signal) != 0, errno == ESRCH {
            _ = kill(pid, signal)
        }
    }

    /// Sends SIGTERM to the group, then SIGKILL to the group once `gracePeriod` has
    /// passed; returns the child's exit as soon as it happens.
    ///
    /// The SIGKILL is sent at the deadline even when the child exited earlier, so group
    /// members that outlive it get the same grace and are then killed too. The pending
    /// SIGKILL keeps this object alive until the deadline.
    package func terminate(gracePeriod: Duration) async -> ProcessExit {
        signalGroup(SIGTERM)
        Task { [self] in
            try? await Task.sleep(for: gracePeriod)
            signalGroup(SIGKILL)
        }
        return await exit()
    }

    // MARK: - Launch helpers

    private static func validate(_ launch: ProcessLaunch) throws(LocalProcessError) {
        func invalid(_ reason: String) -> LocalProcessError {
            LocalProcessError(
                executable: launch.executable, errno: EINVAL,
                message: "cannot start \(launch.executable): \(reason)")
        }
        guard launch.executable.hasPrefix("/") else {
            throw invalid("the executable must be an absolute path")
        }
        // C strings end at the first NUL, which would silently truncate the value.
        if launch.executable.utf8.contains(0) || launch.workingDirectory?.utf8.contains(0) == true {
            throw invalid("a path contains a NUL character")
        }
        if launch.arguments.contains(where: { $0.utf8.contains(0) }) {
            throw invalid("an argument contains a NUL character")
        }
        for (key, value) in launch.environment {
            if key.isEmpty || key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0) {
                throw invalid("invalid environment variable name \"\(key)\"")
            }
            if value.utf8.contains(0) {
                throw invalid("environment variable \(key) contains a NUL character")
            }
        }
    }

    private static func spawnError(_ launch: ProcessLaunch, stage: Int32, errno code: Int32) -> LocalProcessError {
        let reason = errorDescription(code)
        let message =
            if stage == Int32(TYGER_SPAWN_STAGE_CHDIR.rawValue) {
                "cannot change to working directory \(launch.workingDirectory ?? ""): \(reason)"
            } else {
                "cannot start \(launch.executable): \(reason)"
            }
        return LocalProcessError(executable: launch.executable, errno: code, message: message)
    }
}

func errorDescription(_ code: Int32) -> String {
    // glibc's strerror returns static text for every known errno and is MT-safe there.
    String(cString: strerror(code))
}

/// The C strings and arrays of a batch of launches, alive as long as this object is;
/// `tyger_spawn_all` only borrows them.
private final class SpawnRequests {
    private var requests: [tyger_spawn_request] = []
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>] = []

    init(_ launches: [ProcessLaunch]) {
        requests = launches.map { launch in
            tyger_spawn_request(
                path: copy(launch.executable),
                argv: array([launch.executable] + launch.arguments),
                envp: array(launch.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }),
                cwd: launch.workingDirectory.map(copy),
                isolation: launch.isolation.rawValue)
        }
    }

    deinit {
        for string in strings { free(string) }
        for array in arrays { array.deallocate() }
    }

    func withRequests<R>(_ body: (UnsafePointer<tyger_spawn_request>?) -> R) -> R {
        requests.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    private func copy(_ string: String) -> UnsafePointer<CChar> {
        // Out of memory here is not worth a recoverable error path.
        guard let copied = strdup(string) else { preconditionFailure("out of memory") }
        strings.append(copied)
        return UnsafePointer(copied)
    }

    /// A NULL-terminated `char *const[]` of copies of `elements`.
    private func array(_ elements: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: elements.count + 1)
        arrays.append(array)
        for (offset, element) in elements.enumerated() {
            array[offset] = UnsafeMutablePointer(mutating: copy(element))
        }
        array[elements.count] = nil
        return UnsafePointer(array)
    }
}

/// Which signals a process handles or ignores, from `/proc/PID/status` (`SigCgt`, `SigIgn`).
struct SignalDispositions {
    private var caught: UInt64
    private var ignored: UInt64

    init?(pid: Int32) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var caught: UInt64?
        var ignored: UInt64?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("SigCgt:") { caught = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
            if line.hasPrefix("SigIgn:") { ignored = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
        }
        guard let caught, let ignored else { return nil }
        self.caught = caught
        self.ignored = ignored
    }

    /// Whether the process has a handler for `signal`, or ignores it on purpose.
    func handles(_ signal: Int32) -> Bool {
        let bit = UInt64(1) << UInt64(signal - 1)
        return caught & bit != 0 || ignored & bit != 0
    }
}
