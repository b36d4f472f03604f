import CTygerProcess
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Watches one child's output pipes and exit with Dispatch sources, so the number of
/// threads stays bounded by Dispatch's pool however many children run.
///
/// Every handler runs on the monitor's serial queue and never blocks: reads are
/// non-blocking and exit checks use `WNOHANG`. Each descriptor is closed exactly once,
/// in its source's cancel handler, which is the only point where Dispatch guarantees it
/// no longer watches the descriptor.
final class ProcessMonitor: Sendable {
    let pid: pid_t
    private let queue: DispatchQueue
    private let continuation: AsyncStream<OutputLine>.Continuation
    private let state = Mutex(State())

    private struct State {
        var exit: ProcessExit?
        /// Resumed once the exit is known and its watcher's descriptor is closed.
        var waiters: [CheckedContinuation<ProcessExit, Never>] = []
        var exitPublished = false
        var openPipes = 2
        /// Whether a `LocalProcess` still refers to this child; see `handleReleased`.
        var handleAlive = true
        /// The leader's zombie is gone: its pid (and process-group id) may be reused.
        var reaped = false
        /// The pipes' sources while they are open, so reading can be stopped early.
        var pipeSources: [PipeSource] = []
        /// The output has ended (both pipes closed and the exit published).
        var outputFinished = false
        var outputWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Starts watching; `stdoutFD`, `stderrFD` and `pidfd` (if not -1) now belong to it.
    init(pid: pid_t, stdoutFD: Int32, stderrFD: Int32, pidfd: Int32) {
        self.pid = pid
        queue = DispatchQueue(label: "tyger.process.\(pid)")
        let (stream, continuation) = AsyncStream.makeStream(of: OutputLine.self, bufferingPolicy: .unbounded)
        self.output = stream
        self.continuation = continuation
        watchPipe(stdoutFD, stream: .stdout)
        watchPipe(stderrFD, stream: .stderr)
        if pidfd >= 0 {
            watchPidfd(pidfd)
        } else {
            pollForExit()
        }
    }

    let output: AsyncStream<OutputLine>

    var exitIfKnown: ProcessExit? {
        state.withLock { $0.exitPublished ? $0.exit : nil }
    }

    func exit() async -> ProcessExit {
        if let known = exitIfKnown { return known }
        return await withCheckedContinuation { waiter in
            let known: ProcessExit? = state.withLock { state in
                if state.exitPublished { return state.exit }
                state.waiters.append(waiter)
                return nil
            }
            if let known { waiter.resume(returning: known) }
        }
    }

    /// True while the child's pid is guaranteed to still name our child and its group.
    var mayStillSignal: Bool {
        state.withLock { !$0.reaped }
    }

    /// The owning `LocalProcess` is gone, so nobody can signal the group any more and the
    /// zombie no longer needs to reserve the pid: reap now, or as soon as it exits.
    func handleReleased() {
        let reapNow = state.withLock { state in
            state.handleAlive = false
            return state.exit != nil && !state.reaped
        }
        if reapNow { reap() }
    }

    // MARK: - Output

    private func watchPipe(_ fd: Int32, stream: OutputLine.Stream) {
        let reader = PipeReader(fd: fd, stream: stream, continuation: continuation)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [source] in
            if reader.drain() == .endOfFile {
                source.cancel()
            }
        }
        source.setCancelHandler { [self] in
            reader.finish()
            _ = close(fd)
            pipeClosed()
        }
        let pipe = PipeSource(source: source)
        state.withLock { $0.pipeSources.append(pipe) }
        source.resume()
    }

    /// Cancels both pipes' sources; each closes its descriptor and ends its part of the output.
    func closeOutput() {
        let sources = state.withLock { state in
            defer { state.pipeSources = [] }
            return state.pipeSources
        }
        for pipe in sources { pipe.source.cancel() }
    }

    private func pipeClosed() {
        let finish = state.withLock { state in
            state.openPipes -= 1
            if state.openPipes == 0 { state.pipeSources = [] }
            return state.openPipes == 0 && state.exitPublished
        }
        if finish { finishOutput() }
    }

    /// Ends the output stream and wakes whoever waits for it.
    private func finishOutput() {
        let waiters = state.withLock { state in
            defer {
                state.outputFinished = true
                state.outputWaiters = []
            }
            return state.outputWaiters
        }
        continuation.finish()
        for waiter in waiters { waiter.resume() }
    }

    /// Waits until the output has ended: the child exited and both pipes are closed.
    func outputEnded() async {
        await withCheckedContinuation { waiter in
            let done = state.withLock { state in
                if state.outputFinished { return true }
                state.outputWaiters.append(waiter)
                return false
            }
            if done { waiter.resume() }
        }
    }

    // MARK: - Exit

    private func watchPidfd(_ pidfd: Int32) {
        let source = DispatchSource.makeReadSource(fileDescriptor: pidfd, queue: queue)
        source.setEventHandler { [self, source] in
            if recordExitIfAny() { source.cancel() }
        }
        source.setCancelHandler { [self] in
            _ = close(pidfd)
            publishExit()
        }
        source.resume()
    }

    /// For kernels before 5.3, which have no pidfd_open.
    private func pollForExit() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: .milliseconds(20), leeway: .milliseconds(5))
        timer.setEventHandler { [self, timer] in
            if recordExitIfAny() { timer.cancel() }
        }
        timer.setCancelHandler { [self] in
            publishExit()
        }
        timer.resume()
    }

    /// Reads the status without reaping (see `tyger_wait_status`). Returns true once the
    /// exit is recorded, meaning the watcher should stop.
    private func recordExitIfAny() -> Bool {
        var kind: Int32 = 0
        var value: Int32 = 0
        let exit: ProcessExit
        var lost = false
        if tyger_wait_status(pid, 1, &kind, &value) != 0 {
            // ECHILD: reaped by someone else in the host; nothing left to wait for.
            exit = .exited(ProcessExit.unknownStatusCode)
            lost = true
        } else if kind == Int32(TYGER_WAIT_EXITED.rawValue) {
            exit = .exited(value)
        } else if kind == Int32(TYGER_WAIT_SIGNALED.rawValue) {
            exit = .signaled(value)
        } else {
            return false
        }
        state.withLock { state in
            state.exit = exit
            if lost { state.reaped = true }
        }
        return true
    }

    /// Runs after the watcher's descriptor is closed, so a caller that saw `exit()` return
    /// and the output end can rely on every descriptor being closed.
    private func publishExit() {
        let (exit, waiters, finish, reapNow) = state.withLock { state in
            state.exitPublished = true
            let waiters = state.waiters
            state.waiters = []
            let reapNow = !state.handleAlive && !state.reaped
            return (state.exit, waiters, state.openPipes == 0, reapNow)
        }
        guard let exit else { preconditionFailure("exit published before it was recorded") }
        if reapNow { reap() }
        for waiter in waiters {
            waiter.resume(returning: exit)
        }
        if finish { finishOutput() }
    }

    private func reap() {
        let first = state.withLock { state in
            defer { state.reaped = true }
            return !state.reaped
        }
        if first { _ = tyger_reap(pid) }
    }
}

/// A pipe's read source. Dispatch sources may be cancelled from any thread; the type just
/// does not say so.
struct PipeSource: @unchecked Sendable {
    let source: any DispatchSourceRead
}

/// One pipe's reading state. Only the monitor's serial queue touches it; the Mutex is
/// uncontended and exists so the type is Sendable without `@unchecked`.
private final class PipeReader: Sendable {
    enum Progress { case more, endOfFile }

    /// Bytes read per `read(2)`, and reads per event: bounded so one chatty child cannot
    /// monopolise a Dispatch thread (the source fires again while data remains).
    private static let chunkBytes = 64 * 1024
    private static let readsPerEvent = 16

    private let fd: Int32
    private let stream: OutputLine.Stream
    private let continuation: AsyncStream<OutputLine>.Continuation
    private let splitter = Mutex(LineSplitter())

    init(fd: Int32, stream: OutputLine.Stream, continuation: AsyncStream<OutputLine>.Continuation) {
        self.fd = fd
        self.stream = stream
        self.continuation = continuation
    }

    func drain() -> Progress {
        withUnsafeTemporaryAllocation(byteCount: Self.chunkBytes, alignment: 1) { buffer in
            for _ in 0..<Self.readsPerEvent {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count > 0 {
                    let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                    splitter.withLock { $0.append(bytes, emit: yield) }
                    continue
                }
                if count < 0 {
                    let error = errno
                    if error == EINTR { continue }
                    if error == EAGAIN || error == EWOULDBLOCK { return .more }
                }
                // EOF, or a read error that would only repeat: the pipe is done either way.
                return .endOfFile
            }
            return .more
        }
    }

    func finish() {
        splitter.withLock { $0.finish(emit: yield) }
    }

    private func yield(_ text: String) {
        continuation.yield(OutputLine(stream: stream, text: text))
    }
}
