import Testing
import TygerKit

/// The readiness probes' pacing: fast when few ports are pending, bounded when many are.
@Suite struct ProbePacingTests {
    @Test func theCeilingFollowsThePendingPorts() {
        let pacing = ProbePacing(probesPerSecond: 5_000, shortest: .milliseconds(1), longest: .milliseconds(40))
        #expect(pacing.ceiling == .milliseconds(1), "nothing pending: the shortest interval")
        pacing.adjustPending(by: 3)
        #expect(pacing.ceiling == .milliseconds(1), "3 ports at 1 ms stay under 5,000 probes/s")
        pacing.adjustPending(by: 97)
        #expect(pacing.ceiling == .milliseconds(20), "100 ports: 100 / 5,000 s")
        pacing.adjustPending(by: 9_900)
        #expect(pacing.ceiling == .milliseconds(40), "10,000 ports: capped at the longest")
        pacing.adjustPending(by: -9_999)
        #expect(pacing.pending == 1)
        #expect(pacing.ceiling == .milliseconds(1), "the last port is probed every millisecond again")
    }

    @Test func intervalsDoubleUpToTheCeiling() {
        let pacing = ProbePacing(probesPerSecond: 5_000, shortest: .milliseconds(1), longest: .milliseconds(40))
        pacing.adjustPending(by: 50)  // ceiling 10 ms
        var interval = pacing.shortest
        var seen: [Duration] = []
        for _ in 0..<6 {
            interval = pacing.interval(after: interval)
            seen.append(interval)
        }
        #expect(seen == [2, 4, 8, 10, 10, 10].map { .milliseconds($0) })
        pacing.adjustPending(by: -49)
        #expect(pacing.interval(after: interval) == .milliseconds(1), "a falling ceiling shortens the next wait")
    }
}
