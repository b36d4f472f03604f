#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the SIGTERM handler writes. Set once, before the handler is installed, and only read
/// afterwards, so the handler never sees a half-written value.
nonisolated(unsafe) private var terminationPipeWriteEnd: Int32 = -1

/// SIGTERM turned into a readable file descriptor (the self-pipe trick).
///
/// A flag set by a handler would race with a blocking `poll` or `accept` that started just before
/// the signal arrived; a byte in a pipe that is part of the `poll` set cannot be missed. This keeps
/// the program single-threaded and portable, with no `signalfd` or `sigwait` thread.
struct TerminationSignal {
    /// Readable once SIGTERM has been received.
    let descriptor: Int32

    /// Installs the SIGTERM handler. Call once, before anything waits.
    static func install() -> TerminationSignal {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fail("\(SystemError("pipe"))") }
        for end in ends {
            // Non-blocking so a burst of signals can never block the handler on a full pipe.
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        terminationPipeWriteEnd = ends[1]
        // `signal` has BSD semantics on both glibc and Darwin (the handler stays installed), and
        // avoids the platform-specific layout of `struct sigaction`.
        _ = signal(SIGTERM) { _ in
            // Only async-signal-safe calls here; errno is restored because the handler may
            // interrupt code that is about to read it.
            let saved = errno
            var byte: UInt8 = 1
            _ = write(terminationPipeWriteEnd, &byte, 1)
            errno = saved
        }
        return TerminationSignal(descriptor: ends[0])
    }

    /// Whether SIGTERM has arrived, without waiting.
    var received: Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1
    }

    /// Waits for SIGTERM for at most `seconds` (forever when `nil`); returns whether it arrived.
    func wait(seconds: Double?) -> Bool {
        let clock = ContinuousClock()
        let deadline = seconds.map { clock.now.advanced(by: .milliseconds(Int64(($0 * 1000).rounded(.up)))) }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = clock.now.duration(to: deadline)
                if left <= .zero { return false }
                let (secondsLeft, attoseconds) = left.components
                // Capped so very long sleeps are just several polls; rounded up so we never wake early.
                let roundedUp = secondsLeft * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                let milliseconds = min(roundedUp, 86_400_000)
                timeout = Int32(milliseconds)
            }
            let ready = poll(&entry, 1, timeout)
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { fail("\(SystemError("poll"))") }
        }
    }
}
