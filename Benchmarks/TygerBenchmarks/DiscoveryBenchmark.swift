import Foundation
import TygerWorkerDiscovery

/// Figure 3: `WorkerDiscovery.endpoints` on 10,000 addresses, and what calling it costs a job
/// program at start-up.
struct DiscoveryBenchmark {
    var programs: Programs
    var addresses = 10_000
    var iterations = 200
    var startupRuns = 200
    /// The target for one parse of `addresses` addresses, in milliseconds.
    var maximumParseMilliseconds = 5.0
    /// The start-up difference below which it is not measurable against the spread of process
    /// start-up on this machine, in milliseconds.
    var maximumStartupMilliseconds = 1.0

    /// Kubernetes-style host names, about 60 characters, as a 10,000-worker run would get.
    private var environment: [String: String] {
        let hosts = (0..<addresses).map { "run-12345-worker-\($0).run-12345-worker.tyger.svc.cluster.local" }
        return [
            "TYGER_WORKER_NODES": jsonArray(hosts),
            "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES": jsonArray(hosts.map { "\($0):9002" }),
        ]
    }

    func parse() throws -> Figure {
        let environment = environment
        let clock = ContinuousClock()
        var samples: [Double] = []
        for iteration in 0..<(iterations + 10) {
            var count = 0
            let elapsed = try clock.measure { count = try WorkerDiscovery.endpoints("rpc", environment: environment).count }
            precondition(count == addresses, "parsed \(count) of \(addresses) addresses")
            if iteration >= 10 { samples.append(elapsed.milliseconds) }  // the first ten warm up
        }
        let median = Statistics.median(samples)
        return Figure(
            name: "WorkerDiscovery.endpoints, \(addresses) addresses",
            measured: "median \(formatMilliseconds(median)) (\(iterations) iterations)",
            target: "≤ \(Int(maximumParseMilliseconds)) ms",
            judgedBy: "median \(formatMilliseconds(median))",
            passes: median <= maximumParseMilliseconds)
    }

    /// Spawn → exit of a job program that only prints, against one that also calls
    /// `WorkerDiscovery.endpoints` on three addresses, alternating, `startupRuns` of each.
    ///
    /// Both are this executable in a ``ChildRole``, because the benchmark may add only one target;
    /// so this measures what using the module costs at start-up (its code runs, its globals
    /// initialise, the environment is read), not what linking it costs. Linking is covered by the
    /// module's design: it imports only the C library (no Foundation), so it adds no shared
    /// library for the loader; ``sharedLibraries(of:)`` shows that for `tyger-conformance`, a job program
    /// that depends on `TygerWorkerDiscovery` alone.
    func startup() throws -> Figure {
        var environment = ProcessInfo.processInfo.environment
        environment["TYGER_WORKER_NODES"] = jsonArray(["127.0.0.1", "127.0.0.1", "127.0.0.1"])
        environment["TYGER_RPC_WORKER_ENDPOINT_ADDRESSES"] = jsonArray(["127.0.0.1:9001", "127.0.0.1:9002", "127.0.0.1:9003"])
        var printing: [Double] = []
        var discovering: [Double] = []
        for run in 0..<(startupRuns + 5) {
            let printOnly = try spawnToExit(["startup-print"], environment: environment)
            let discovery = try spawnToExit(["startup-discovery"], environment: environment)
            if run >= 5 {  // the first five warm the page cache
                printing.append(printOnly)
                discovering.append(discovery)
            }
        }
        let difference = Statistics.median(discovering) - Statistics.median(printing)
        return Figure(
            name: "job start-up with TygerWorkerDiscovery",
            measured: "print only \(formatMilliseconds(Statistics.median(printing))), with endpoints() \(formatMilliseconds(Statistics.median(discovering))) (medians of \(startupRuns))",
            target: "difference ≤ \(formatMilliseconds(maximumStartupMilliseconds))",
            judgedBy: "difference \(formatMilliseconds(difference))",
            passes: difference <= maximumStartupMilliseconds)
    }

    private func spawnToExit(_ role: [String], environment: [String: String]) throws -> Double {
        let clock = ContinuousClock()
        var status: Int32 = 0
        let elapsed = try clock.measure {
            status = try ChildProcess(programs.benchmark.path, [ChildRole.flag] + role, environment: environment).wait()
        }
        precondition(status == 0, "role \(role) exited with \(status)")
        return elapsed.milliseconds
    }

    /// The shared libraries `executable` loads, as `ldd` lists them (empty when `ldd` is missing).
    func sharedLibraries(of executable: URL) -> [String] {
        let process = Process()
        process.executableURL = URL(filePath: "/usr/bin/ldd")
        process.arguments = [executable.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: "\n").compactMap {
            $0.split(separator: " ").first.map { String($0.trimmingCharacters(in: .whitespaces)) }
        }
    }
}
