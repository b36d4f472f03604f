// Helper process for LocalProcessTests: things that need a separate host process, either
// because the test kills the host or because it must count the host's descriptors
// without other tests opening and closing theirs concurrently.
import TygerKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unbuffered, so nothing waits in a stdio buffer when the test SIGKILLs this process.
func emit(_ text: String, to fd: Int32 = STDOUT_FILENO) {
    var bytes = Array((text + "\n").utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

func fail(_ message: String) -> Never {
    emit("tyger-process-probe: \(message)", to: STDERR_FILENO)
    exit(2)
}

func openDescriptorCount() -> Int {
    guard let directory = opendir("/proc/self/fd") else { fail("cannot list /proc/self/fd") }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { count += 1 }
    }
    // The directory being listed is itself one of the entries.
    return count - 1
}

/// Launches one short process, drains its output and waits for both ends.
func runShort(_ index: Int) async throws -> ProcessExit {
    let process = try LocalProcess.launch(
        ProcessLaunch(executable: "/bin/sh", arguments: ["-c", "echo out \(index); echo err \(index) >&2"]))
    var lines = 0
    for await _ in process.output { lines += 1 }
    let exit = await process.exit()
    guard lines == 2 else { fail("process \(index) printed \(lines) lines instead of 2") }
    return exit
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "sleep-child":
    // Launched from a detached task so the caller is a pool thread, never the main
    // thread: the child must survive that thread and die only with this process.
    let child = try await Task.detached {
        try LocalProcess.launch(ProcessLaunch(executable: "/bin/sleep", arguments: ["1000"]))
    }.value
    emit("\(child.pid)")
    withExtendedLifetime(child) {
        while true { pause() }
    }

case "launch-many":
    // Prints "<succeeded> <launched> <descriptors before> <descriptors after>".
    guard arguments.count == 2, let count = Int(arguments[1]), count > 0 else {
        fail("usage: tyger-process-probe launch-many COUNT")
    }
    // Dispatch opens its epoll and event descriptors on first use; one warm-up launch
    // keeps them out of the comparison.
    _ = try await runShort(-1)
    let before = openDescriptorCount()
    let succeeded = try await withThrowingTaskGroup(of: ProcessExit.self) { group in
        for index in 0..<count {
            group.addTask { try await runShort(index) }
        }
        var succeeded = 0
        for try await exit in group where exit == .exited(0) { succeeded += 1 }
        return succeeded
    }
    let after = openDescriptorCount()
    emit("\(succeeded) \(count) \(before) \(after)")

default:
    fail("usage: tyger-process-probe sleep-child | launch-many COUNT")
}
