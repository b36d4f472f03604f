#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The single-purpose subcommands a backend test uses to provoke one behaviour each.
enum SimpleCommands {
    /// `exit <code>`: a job that fails (or succeeds) with a chosen status.
    static func exitWith(_ arguments: [String]) -> Never {
        guard arguments.count == 1, let code = Int32(arguments[0]), (0...255).contains(code) else {
            usage("exit: expected one status code in 0...255")
        }
        writeOutput("exiting with \(code)")
        exit(code)
    }

    /// `sleep <seconds>`: a long-running process that stops promptly and cleanly on SIGTERM.
    static func sleep(_ arguments: [String]) -> Never {
        guard arguments.count == 1 else { usage("sleep: expected one duration in seconds") }
        let seconds = parseSeconds(arguments[0], command: "sleep")
        let termination = TerminationSignal.install()
        if termination.wait(seconds: seconds) {
            writeOutput("sleep: stopping on SIGTERM")
        }
        exit(0)
    }

    /// `ignore-term <seconds>`: a process that only SIGKILL can stop early, to test grace periods.
    static func ignoreTerm(_ arguments: [String]) -> Never {
        guard arguments.count == 1 else { usage("ignore-term: expected one duration in seconds") }
        let seconds = parseSeconds(arguments[0], command: "ignore-term")
        _ = signal(SIGTERM, SIG_IGN)
        // Announced after the disposition changes, so a harness that waits for this line and
        // then sends SIGTERM is sure it is ignored.
        writeOutput("ignoring SIGTERM for \(arguments[0]) seconds")
        sleepUninterrupted(seconds: seconds)
        exit(0)
    }

    /// `print <count>`: known output on both streams, to test log capture and ordering.
    static func print(_ arguments: [String]) -> Never {
        guard let count = arguments.first.flatMap(Int.init), count >= 0 else {
            usage("print: expected a non-negative line count")
        }
        var interval = 0.0
        if arguments.count == 3, arguments[1] == "--every", let seconds = Double(arguments[2]), seconds >= 0 {
            interval = seconds
        } else if arguments.count != 1 {
            usage("print: expected <count> [--every <seconds>]")
        }
        for line in 0..<count {
            writeOutput("line \(line)")
            if line.isMultiple(of: 2) { writeError("err \(line)") }
            if interval > 0 { usleep(useconds_t(interval * 1_000_000)) }
        }
        exit(0)
    }

    /// `env <NAME>...`: shows what the backend injected, one `NAME=value` or `NAME unset` per line.
    static func env(_ arguments: [String]) -> Never {
        for name in arguments {
            if let value = getenv(name) {
                writeOutput("\(name)=\(String(cString: value))")
            } else {
                writeOutput("\(name) unset")
            }
        }
        exit(0)
    }

    /// `pid-file <path>`: records this process's pid, then sleeps, so a test can check afterwards
    /// that killing a run (or its host) left no process behind.
    static func pidFile(_ arguments: [String]) -> Never {
        guard arguments.count == 1 else { usage("pid-file: expected one path") }
        let path = arguments[0]
        let termination = TerminationSignal.install()
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { fail("pid-file: \(SystemError("open \(path)"))") }
        do {
            try Socket.writeAll(descriptor, Array("\(getpid())\n".utf8))
        } catch {
            fail("pid-file: \(path): \(error)")
        }
        // close reports deferred write errors (NFS, full disks); a half-written pid is useless.
        guard close(descriptor) == 0 else { fail("pid-file: \(SystemError("close \(path)"))") }
        if termination.wait(seconds: 100_000) {
            writeOutput("pid-file: stopping on SIGTERM")
        }
        exit(0)
    }

    private static func parseSeconds(_ text: String, command: String) -> Double {
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0 else {
            usage("\(command): '\(text)' is not a non-negative number of seconds")
        }
        return seconds
    }
}
