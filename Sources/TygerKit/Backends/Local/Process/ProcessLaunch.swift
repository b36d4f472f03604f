import CTygerProcess
package import Foundation

/// What to start: the exact executable, its arguments, its complete environment and where.
///
/// Nothing is inherited from the host: the child sees only `environment`, and
/// `executable` is not looked up in `PATH` (use ``ExecutableLookup`` first).
package struct ProcessLaunch: Sendable, Hashable {
    /// An absolute path; it also becomes `argv[0]`.
    package var executable: String
    /// The arguments after `argv[0]`.
    package var arguments: [String]
    /// The child's entire environment.
    package var environment: [String: String]
    /// The directory the child starts in; the host's current directory when nil.
    package var workingDirectory: String?
    /// How the child is kept apart from the host's other processes.
    package var isolation: ProcessIsolation

    package init(
        executable: String,
        arguments: [String] = [],
        environment: [String: String] = [:],
        workingDirectory: String? = nil,
        isolation: ProcessIsolation = .none
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.isolation = isolation
    }
}

/// How a child is kept apart from the host's other processes, so that everything it starts
/// can be found and stopped with it.
package enum ProcessIsolation: Int32, Sendable, Hashable {
    /// An ordinary child in its own process group: a descendant that starts a new session
    /// escapes the group.
    case none = 0
    /// The child is the first process of a PID namespace of its own: when it exits, or dies
    /// with the host, the kernel kills everything it started, in any group or session.
    case pidNamespace = 1
    /// The same, inside a user namespace that maps only the host's own user and group (for
    /// hosts without CAP_SYS_ADMIN).
    case userAndPIDNamespace = 2

    /// The best isolation this host can use, found once by starting a trial child.
    package static let available: ProcessIsolation = ProcessIsolation(rawValue: tyger_probe_isolation()) ?? .none

    /// Whether descendants die with the child by construction.
    package var containsDescendants: Bool { self != .none }
}

/// How a process ended.
package enum ProcessExit: Sendable, Hashable, CustomStringConvertible {
    /// Exited normally with this code (0...255), or ``unknownStatusCode``.
    case exited(Int32)
    /// Killed by this signal.
    case signaled(Int32)

    /// Reported when something else in the host reaped the child first (a `waitpid(-1)`
    /// loop or `SIGCHLD` set to `SIG_IGN`), so its real status is lost. Real exit codes
    /// are 0...255, so this cannot be mistaken for one, and it is not a success.
    package static let unknownStatusCode: Int32 = -1

    package var isSuccess: Bool { self == .exited(0) }

    package var description: String {
        switch self {
        case .exited(Self.unknownStatusCode):
            "exited with an unknown status (reaped outside TygerKit)"
        case .exited(let code):
            "exited with code \(code)"
        case .signaled(let signal):
            if let name = signalName(signal) {
                "killed by signal \(signal) (\(name))"
            } else {
                "killed by signal \(signal)"
            }
        }
    }
}

/// One line a process wrote, without its newline.
package struct OutputLine: Sendable, Hashable, CustomStringConvertible {
    package enum Stream: String, Sendable, Hashable {
        case stdout
        case stderr
    }

    package var stream: Stream
    package var text: String
    /// When the host read the line from the pipe: as soon as the program wrote it, give or
    /// take the time the pipe took to wake the reader.
    package var timestamp: Date

    package init(stream: Stream, text: String, timestamp: Date = Date()) {
        self.stream = stream
        self.text = text
        self.timestamp = timestamp
    }

    package var description: String { "\(stream.rawValue): \(text)" }
}

/// Why a process could not be started or looked up.
package struct LocalProcessError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The executable (or command) concerned.
    package var executable: String
    /// The `errno` behind the failure, e.g. `ENOENT` or `EACCES`.
    package var errno: Int32
    /// A complete sentence for the user, e.g. `cannot start /x: Permission denied`.
    package var message: String

    package init(executable: String, errno: Int32, message: String) {
        self.executable = executable
        self.errno = errno
        self.message = message
    }

    package var description: String { message }
}

/// Linux numbering; real-time signals have no fixed abbreviation.
private func signalName(_ signal: Int32) -> String? {
    let names = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
        7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2",
        13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD",
        18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG",
        24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH",
        29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS",
    ]
    return names[Int(signal)]
}
