import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What this machine can hold for one local run, checked before any port, process or
/// memory is taken, so that a typo such as `replicas: 99999999` is a clear error naming the
/// field, not a host that runs out of memory or of process slots half way.
enum LocalCapacity {
    /// Process slots and descriptors kept for the host itself: its threads, its files.
    static let headroom = 64
    /// Descriptors the host holds per process it runs: two pipes and a pidfd.
    static let descriptorsPerProcess = 3

    static func check(_ spec: ResolvedRunSpec) throws(TygerError) {
        try SpecProblem.throwing(problems(spec))
    }

    static func problems(_ spec: ResolvedRunSpec) -> [SpecProblem] {
        var problems: [SpecProblem] = []
        let workers = spec.worker?.replicas ?? 0
        let endpoints = spec.worker?.codespec.endpoints.count ?? 0
        if workers * endpoints > PortReservations.capacity {
            problems.append(
                .init(
                    ["worker", "replicas"],
                    "replicas is \(workers) with \(endpoints) endpoint(s) each, and the local backend has "
                        + "\(PortReservations.capacity) ports to give them (\(PortReservations.range.lowerBound)-"
                        + "\(PortReservations.range.upperBound - 1)); allowed: at most \(PortReservations.capacity / max(endpoints, 1))"))
        }
        let processes = workers + spec.job.replicas
        let (available, limit) = processSlots()
        if processes > available {
            let target: SpecPath = workers > 0 ? ["worker", "replicas"] : ["job", "replicas"]
            problems.append(
                .init(
                    target,
                    "the run needs \(processes) processes, and this machine lets this user start \(max(available, 0)) more "
                        + "(\(limit)); allowed: at most \(max(available - spec.job.replicas, 0)) worker replicas"))
        }
        let descriptors = processes * descriptorsPerProcess
        let freeDescriptors = descriptorSlots()
        if descriptors > freeDescriptors {
            let target: SpecPath = workers > 0 ? ["worker", "replicas"] : ["job", "replicas"]
            problems.append(
                .init(
                    target,
                    "the run needs \(descriptors) file descriptors in the host (\(descriptorsPerProcess) per process), and "
                        + "\(max(freeDescriptors, 0)) are free under its limit (ulimit -n); allowed: at most "
                        + "\(max(freeDescriptors / descriptorsPerProcess - spec.job.replicas, 0)) worker replicas"))
        }
        return problems
    }

    /// How many more processes (threads count too) this user may start, and which limit says so.
    static func processSlots() -> (available: Int, limit: String) {
        var candidates: [(Int, String)] = []
        if let threads = systemThreads() {
            let maximum = min(readNumber("/proc/sys/kernel/threads-max") ?? .max, readNumber("/proc/sys/kernel/pid_max") ?? .max)
            if maximum < .max { candidates.append((maximum - threads - headroom, "the system's limit of \(maximum) tasks")) }
        }
        var limit = rlimit()
        if getuid() != 0, getrlimit(Int32(__RLIMIT_NPROC.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            let allowed = Int(clamping: limit.rlim_cur)
            candidates.append((allowed - userThreads(getuid()) - headroom, "ulimit -u \(allowed)"))
        }
        return candidates.min { $0.0 < $1.0 } ?? (.max, "no limit")
    }

    /// Descriptors this process may still open under its hard limit (the backend raises the
    /// soft limit to it), keeping some for the host.
    static func descriptorSlots() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_max != rlim_t.max else { return .max }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return Int(clamping: limit.rlim_max) - open - headroom
    }

    /// Every task on the machine (the second number of the fourth field of `/proc/loadavg`).
    private static func systemThreads() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 3, let total = fields[3].split(separator: "/").last else { return nil }
        return Int(total)
    }

    /// The tasks of `uid`: what RLIMIT_NPROC counts.
    private static func userThreads(_ uid: uid_t) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var count = 0
        for entry in entries where entry.first?.isNumber == true {
            guard let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
            var owner: uid_t?
            var threads = 1
            for line in status.split(separator: "\n") {
                if line.hasPrefix("Uid:") { owner = line.split(separator: "\t").dropFirst().first.flatMap { uid_t($0) } }
                if line.hasPrefix("Threads:") { threads = Int(line.dropFirst(8).trimmingCharacters(in: .whitespaces)) ?? 1 }
            }
            if owner == uid { count += threads }
        }
        return count
    }

    private static func readNumber(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
