import Foundation
import Testing
import TygerKit
import TygerKitTesting
import TygerTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Many runs back to back on one local backend leave nothing behind: no
/// zombie processes, no growth in open file descriptors or threads, and flat memory.
///
/// 100 runs by default; `TYGER_LEAK_RUNS=500` (what `scripts/leak-check.sh` sets) for the full
/// check. The figures are printed. They are process-wide, so run this suite alone for exact
/// figures (the script does); alongside other suites the checks allow for their activity.
@Suite(.serialized) struct LeakTests {
    /// What this process holds, from /proc.
    struct Usage: CustomStringConvertible {
        var descriptors: Int
        var threads: Int
        var residentKiB: Int
        /// Children of this process that exited and were not reaped.
        var zombies: [Int32]
        /// Children of this process still running.
        var children: [Int32]

        static func now() -> Usage {
            let me = getpid()
            var zombies: [Int32] = []
            var children: [Int32] = []
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry),
                    let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { continue }
                // After "pid (comm)": state, ppid, ...
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                guard fields.count > 2, Int32(fields[1]) == me else { continue }
                if fields[0] == "Z" { zombies.append(pid) } else { children.append(pid) }
            }
            return Usage(
                descriptors: (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1,
                threads: (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1,
                residentKiB: residentKiB(),
                zombies: zombies,
                children: children)
        }

        private static func residentKiB() -> Int {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
            }
            return -1
        }

        var description: String {
            "fds=\(descriptors) threads=\(threads) rss=\(residentKiB) KiB zombies=\(zombies.count) children=\(children.count)"
        }
    }

    static var runCount: Int {
        ProcessInfo.processInfo.environment["TYGER_LEAK_RUNS"].flatMap { Int($0) } ?? 100
    }

    @Test(.timeLimit(.minutes(10))) func manyRunsLeaveNothingBehind() async throws {
        // Stopping a worker schedules a SIGKILL for the end of the grace period, which keeps the
        // stopped process (and its zombie) until then; a short grace lets the check settle fast.
        let conformance = try BuiltProduct.url("tyger-conformance").path
        let programs = ConformancePrograms.executable(conformance)
        // Every process of every run carries the marker, so a descendant that survived its run is found.
        let marker = UUID().uuidString
        var jobCodespec = programs.codespec(.job, ["exit", "0"])
        jobCodespec.env["LEAK_MARKER"] = marker
        let exitZero = RunSpec(job: JobTarget(codespec: .inline(jobCodespec)))
        var withWorker = exitZero
        var workerCodespec = programs.codespec(.worker, ["worker"], endpoints: [Endpoint(name: "rpc", port: 1)])
        workerCodespec.env["LEAK_MARKER"] = marker
        withWorker.worker = WorkerSpec(codespec: .inline(workerCodespec), replicas: 1)
        // A job that leaves a descendant behind, in a session of its own, as it exits.
        let leaving = RunSpec(
            job: JobTarget(
                codespec: .inline(
                    Codespec(
                        command: ["/bin/sh", "-c", "setsid \(conformance) sleep 300 & echo left a descendant"],
                        env: ["LEAK_MARKER": marker]))))
        let total = Self.runCount

        let (warm, after, elapsed) = try await withLocalBackend({ $0.gracePeriod = .milliseconds(300) }) { backend in
            let client = TygerClient(store: InMemoryCodespecStore(), backend: backend)
            func execute(_ index: Int) async throws {
                // Every fourth run has a worker, so worker start, probing and stopping are covered;
                // every fourth leaves a descendant behind, which must not outlive it.
                let run = try await client.createRun(index % 4 == 3 ? withWorker : index % 4 == 1 ? leaving : exitZero)
                let final = try await client.waitUntilTerminal(run.id)
                #expect(final.status == .succeeded, "run \(run.id): \(final.statusReason ?? "")")
                var lines = 0
                for try await _ in client.logs(of: run.id) { lines += 1 }
                #expect(lines > 0)
            }
            // Warm up: the cooperative pool's threads, caches and the allocator's arenas.
            for index in 0..<20 { try await execute(index) }
            let warm = try await Self.settled(baseline: nil)
            let clock = ContinuousClock()
            let start = clock.now
            var samples: [String] = []
            for index in 0..<total {
                try await execute(index)
                if (index + 1) % max(total / 5, 1) == 0 {
                    samples.append("\(index + 1): rss=\(Usage.now().residentKiB) KiB")
                }
            }
            let elapsed = clock.now - start
            let after = try await Self.settled(baseline: warm)
            print("LeakTests: resident memory along the way: " + samples.joined(separator: ", "))
            return (warm, after, elapsed)
        }
        let final = try await Self.settled(baseline: warm)
        print(
            """
            LeakTests: \(total) runs (1 in 4 with a worker, 1 in 4 leaving a descendant) in \(elapsed)
              after warm-up:   \(warm)
              after \(total) runs: \(after)
              after shutdown:  \(final)
              growth: fds \(after.descriptors - warm.descriptors), threads \(after.threads - warm.threads), \
            rss \(after.residentKiB - warm.residentKiB) KiB
            """)
        let survivors = ProcessScan.processes(withEnvironment: "LEAK_MARKER", value: marker)
        print("LeakTests: processes of the runs still alive after them: \(survivors.count)")
        #expect(survivors.isEmpty, "descendants outlived their runs: \(survivors)")
        #expect(after.zombies.isEmpty, "zombie children: \(after.zombies)")
        #expect(final.zombies.isEmpty, "zombie children: \(final.zombies)")
        #expect(after.descriptors <= warm.descriptors + Self.descriptorSlack, "\(warm) → \(after)")
        #expect(after.threads <= warm.threads + Self.threadSlack, "\(warm) → \(after)")
        #expect(after.residentKiB <= warm.residentKiB + 16 * 1024, "\(warm) → \(after)")
    }

    /// Other suites of this process may run alongside; a few of their descriptors and threads
    /// may come and go.
    static let descriptorSlack = 8
    static let threadSlack = 4

    /// The usage once stray children have been stopped for good: polls for up to 10 s until no
    /// zombie is left and descriptors and threads are back to the baseline.
    static func settled(baseline: Usage?) async throws -> Usage {
        var usage = Usage.now()
        for _ in 0..<100 {
            let quiet =
                usage.zombies.isEmpty
                && (baseline.map {
                    usage.descriptors <= $0.descriptors && usage.threads <= $0.threads
                } ?? true)
            if quiet { return usage }
            try await Task.sleep(for: .milliseconds(100))
            usage = Usage.now()
        }
        return usage
    }
}
