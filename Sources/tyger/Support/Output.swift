import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress and errors go to standard error so that standard output carries only results.
///
/// A reader that went away (`| head -1`) or an output closed from the start (`>&-`) must not
/// end the command, and so not the run it hosts: writes that fail are dropped.
enum Output {
    /// Writes one line to standard output at once, so followed logs appear live also in a pipe.
    static func line(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
    }

    /// Makes the process safe against what its caller did to it: standard input, output and
    /// error that are closed are opened on /dev/null (otherwise the next file the command
    /// opens would take their place, and output would go into it), and a closed pipe is an
    /// error on write instead of a SIGPIPE that kills the process.
    static func prepareProcess() {
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            let null = open("/dev/null", O_RDWR)
            if null >= 0, null != descriptor {
                dup2(null, descriptor)
                close(null)
            }
        }
        signal(SIGPIPE, SIG_IGN)
    }
}

/// A command line that cannot be carried out, reported as `Error: <message>` without the
/// usage text that follows a parsing error (as Tyger's CLI does).
struct CommandLineError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
