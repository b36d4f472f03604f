import Synchronization

/// Decides how often readiness probes run, so that the job starts soon after the last
/// endpoint answers without the probes themselves eating the CPU the workers need to start.
///
/// A refused loopback connection costs the host about 20 µs. Probing each of 256 pending
/// ports every millisecond would take most of a core while those workers are loading, so
/// the interval grows with the number of ports still pending in this process: each probe
/// loop backs off from ``shortest`` by doubling, up to a ceiling that keeps the whole
/// process near ``probesPerSecond``. As workers become ready the ceiling falls, so the
/// last few ports, the ones the job is waiting for, are probed almost every millisecond.
/// A backend owns one, shared by all its runs: they share the CPU too.
package final class ProbePacing: Sendable {
    /// The probing rate the process aims to stay under while many ports are pending.
    package let probesPerSecond: Int
    /// The first interval, and the ceiling when few ports are pending.
    package let shortest: Duration
    /// The ceiling however many ports are pending; keeps the job's start within this
    /// much of its last endpoint becoming ready.
    package let longest: Duration

    private let pendingPorts = Atomic<Int>(0)

    package init(
        probesPerSecond: Int = 5_000,
        shortest: Duration = .milliseconds(1),
        longest: Duration = .milliseconds(40)
    ) {
        self.probesPerSecond = probesPerSecond
        self.shortest = shortest
        self.longest = longest
    }

    /// Ports that are being probed and have not answered yet, in the whole process.
    package var pending: Int { pendingPorts.load(ordering: .relaxed) }

    /// Counts `count` more ports as pending (negative: fewer).
    package func adjustPending(by count: Int) {
        pendingPorts.add(count, ordering: .relaxed)
    }

    /// The interval after `previous`: double it, but no longer than the current ceiling.
    package func interval(after previous: Duration) -> Duration {
        min(previous * 2, ceiling)
    }

    /// `pending / probesPerSecond`, clamped to `shortest ... longest`.
    package var ceiling: Duration {
        let spread = Duration.seconds(Double(max(pending, 0)) / Double(probesPerSecond))
        return min(max(spread, shortest), longest)
    }
}
