package import Logging

/// Where a hosted run's replicas execute: processes on this machine, containers of an
/// engine. A ``SupervisedRun`` decides (through ``RunStateMachine``) and the driver acts;
/// it reports what happened through the run's ``RunSupervision``.
///
/// The driver's methods are called from the run's loop, one at a time. Work that waits
/// (an exit, a log stream, a readiness probe, a slow engine call) goes into `group`, the
/// run's task group, so that it ends with the run.
package protocol ReplicaDriver: Sendable {
    /// Starts worker replicas `indices`, each in its current generation
    /// (``RunSupervision/generation(ofWorker:)``); reports `workerStarted` (or
    /// `workerFailedToStart`), then `workerReady` once every endpoint accepts connections,
    /// and `workerExited` when one ends.
    func startWorkers(_ indices: [Int], _ supervision: any RunSupervision, in group: inout TaskGroup<Void>)

    /// Starts every job replica with the discovery variables; reports `jobStarted` (or
    /// `jobFailedToStart`), then `jobExited` for each replica.
    func startJob(_ supervision: any RunSupervision, in group: inout TaskGroup<Void>)

    /// Stops everything of the run and returns once nothing of it runs.
    func stopEverything() async

    /// The run is over, or never started: releases what the driver reserved for it (ports,
    /// a network).
    func release() async
}

/// What a ``ReplicaDriver`` can see of its run and tell it.
package protocol RunSupervision: Sendable {
    /// The run's ID.
    var id: RunID { get }
    /// The run as it stands.
    func snapshot() -> Run
    /// The generation worker `index` is in: every start of a replica is a new generation.
    func generation(ofWorker index: Int) -> Int
    /// Reports something the driver did in the loop's own turn (a replica started), so that
    /// it is applied before anything the run's tasks report afterwards (its exit).
    func enqueue(_ event: RunStateMachine.Event)
    /// Reports something from one of the run's tasks.
    func send(_ event: RunStateMachine.Event)
    /// Says why worker `index` is not ready yet, in words a person can act on.
    func diagnose(worker index: Int, generation: Int, _ message: String)
    /// Adds a line a program wrote to the run's merged log.
    func log(_ line: RunLogLine)
    /// Tells the people following the run what happened.
    func report(_ event: RunEvent)
    /// Writes the discovery lists too long for the environment as files of the run's
    /// folder, and returns each file's absolute path, by variable.
    func writeDiscoveryFiles(_ files: [DiscoveryVariables.ListFile]) throws(TygerError) -> [String: String]
    /// Where the driver reports what it does.
    var logger: Logger { get }
}
