#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import TygerWorkerDiscovery

/// `worker [--fail-first-start MARKER] [--listen-after SECONDS]`: a worker replica that identifies
/// itself on every endpoint. `--listen-after` delays listening, so a backend that starts the job
/// before every endpoint accepts connections is caught.
///
/// Each accepted connection gets `<index> <endpoint> <instance>` (a token unique to this process) and is closed, which is all a job needs
/// to prove that address *i* reaches replica *i* and that the replicas are distinct processes.
enum WorkerCommand {
    /// An endpoint this replica serves: its lower-case name and the port from the environment.
    struct Endpoint {
        var name: String
        var port: Int
    }

    static func run(_ arguments: [String]) -> Never {
        var marker: String?
        var listenDelay: Double?
        var rest = arguments[...]
        while let option = rest.popFirst() {
            switch (option, rest.popFirst()) {
            case ("--fail-first-start", let path?):
                marker = path
            case ("--listen-after", let seconds?):
                guard let value = Double(seconds), value >= 0 else { usage("worker: bad --listen-after '\(seconds)'") }
                listenDelay = value
            default:
                usage("worker: unexpected argument '\(option)'")
            }
        }

        let termination = TerminationSignal.install()
        let index: Int
        do {
            index = try WorkerDiscovery.workerIndex()
        } catch {
            fail("worker: \(error)")
        }
        if let marker, failFirstStart(marker: marker, index: index) {
            exit(failureStatus)
        }

        if let listenDelay, termination.wait(seconds: listenDelay) {
            writeOutput("worker \(index) stopping on SIGTERM")
            exit(0)
        }
        let endpoints = discoverEndpoints()
        var listeners: [(endpoint: Endpoint, descriptor: Int32)] = []
        for endpoint in endpoints {
            do {
                listeners.append((endpoint, try Socket.listen(port: endpoint.port)))
            } catch {
                fail("worker \(index): endpoint \(endpoint.name): \(error)")
            }
        }
        if endpoints.isEmpty {
            writeOutput("worker \(index) has no endpoints; waiting for SIGTERM")
            _ = termination.wait(seconds: nil)
        } else {
            let summary = endpoints.map { "\($0.name)=\($0.port)" }.joined(separator: " ")
            writeOutput("worker \(index) listening on \(summary)")
            serve(listeners, index: index, until: termination)
        }
        for listener in listeners { _ = close(listener.descriptor) }
        writeOutput("worker \(index) stopping on SIGTERM")
        exit(0)
    }

    /// Whether this is the first start, judged by `marker`; creates it when it is.
    ///
    /// `O_EXCL` makes the check and the creation one step, so replicas sharing a marker cannot
    /// all believe they are first.
    private static func failFirstStart(marker: String, index: Int) -> Bool {
        let descriptor = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor >= 0 {
            _ = close(descriptor)
            writeError("worker \(index): first start (created \(marker)); exiting with \(failureStatus)")
            return true
        }
        guard errno == EEXIST else { fail("worker \(index): \(SystemError("create marker \(marker)"))") }
        return false
    }

    /// The endpoints named by `TYGER_<NAME>_ENDPOINT_PORT` variables, sorted by name.
    ///
    /// Ports are read back through ``WorkerDiscovery/listenPort(for:)`` so this program accepts
    /// exactly the values real workers accept; a malformed variable is a backend bug and fails.
    private static func discoverEndpoints() -> [Endpoint] {
        let prefix = "TYGER_"
        let suffix = "_ENDPOINT_PORT"
        var endpoints: [Endpoint] = []
        let shortest = prefix.utf8.count + suffix.utf8.count + 1
        for (variable, _) in environmentVariables()
        where variable.hasPrefix(prefix) && variable.hasSuffix(suffix) && variable.utf8.count >= shortest {
            let name = String(variable.dropFirst(prefix.count).dropLast(suffix.count))
            guard name == name.uppercased() else {
                fail(
                    "worker: \(variable) is not a valid endpoint variable; "
                        + "endpoint names are upper-cased in variable names")
            }
            do {
                endpoints.append(Endpoint(name: name.lowercased(), port: try WorkerDiscovery.listenPort(for: name)))
            } catch {
                fail("worker: \(error)")
            }
        }
        return endpoints.sorted { $0.name < $1.name }
    }

    /// Answers connections on every listener until SIGTERM.
    ///
    /// One thread and one `poll` over all listeners plus the termination pipe: no locks, and
    /// SIGTERM cannot slip in between a check and a blocking call.
    private static func serve(
        _ listeners: [(endpoint: Endpoint, descriptor: Int32)], index: Int, until termination: TerminationSignal
    ) {
        // The pid alone does not tell processes apart: in a container every replica is pid 1.
        // The run ID in front lets a job see that it reached a worker of another run.
        let run = (try? WorkerDiscovery.runID()) ?? "?"
        let instance = "\(run)/\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        let replies = listeners.map { Array("\(index) \($0.endpoint.name) \(instance)\n".utf8) }
        var entries = [pollfd(fd: termination.descriptor, events: Int16(POLLIN), revents: 0)]
        entries += listeners.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        while true {
            let ready = poll(&entries, nfds_t(entries.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                fail("worker \(index): \(SystemError("poll"))")
            }
            if entries[0].revents != 0 { return }
            for slot in 1..<entries.count where entries[slot].revents != 0 {
                while let connection = Socket.accept(entries[slot].fd) {
                    // The peer may already be gone (readiness probes connect and hang up); that is
                    // its business, and SIGPIPE is ignored so it cannot kill the worker.
                    try? Socket.writeAll(connection, replies[slot - 1])
                    _ = close(connection)
                }
            }
        }
    }
}
