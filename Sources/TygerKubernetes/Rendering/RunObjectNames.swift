public import TygerKit

/// The names of the Kubernetes objects and hosts of one run, derived from its ID alone so
/// that a backend can find them again without storing them.
///
/// ```swift
/// let names = RunObjectNames(runID: try RunID(parsing: "42"))
/// names.job                                        // "run-42-job"
/// names.worker                                     // "run-42-worker"
/// names.workerHost(1, namespace: "tyger")  // "run-42-worker-1.run-42-worker.tyger.svc.cluster.local"
/// ```
public struct RunObjectNames: Sendable, Hashable {
    /// The run's ID, such as `42`.
    public var runID: RunID

    /// Creates the names of a run's objects.
    public init(runID: RunID) {
        self.runID = runID
    }

    /// `run-<id>`: the prefix of every name.
    public var base: String { "run-\(runID)" }
    /// `run-<id>-job`: the Job.
    public var job: String { "\(base)-job" }
    /// `run-<id>-worker`: the worker StatefulSet and its headless Service.
    public var worker: String { "\(base)-worker" }

    /// `run-<id>-discovery-<list>`: the ConfigMap holding discovery list `list` (0 for the
    /// worker nodes, then one per endpoint in declaration order) when the lists are too long
    /// for the environment.
    public func discoveryConfigMap(_ list: Int) -> String { "\(base)-discovery-\(list)" }

    /// `run-<id>-worker-<replica>`: a worker pod's name and hostname.
    public func workerPod(_ replica: Int) -> String { RunEnvironment.workerHostname(runID: runID, index: replica) }

    /// A worker replica's fully qualified DNS name through the headless Service:
    /// `run-<id>-worker-<replica>.run-<id>-worker.<namespace>.svc.cluster.local`.
    public func workerHost(_ replica: Int, namespace: String) -> String {
        "\(workerPod(replica)).\(workerHostSuffix(namespace: namespace))"
    }

    /// What follows the pod name in ``workerHost(_:namespace:)``.
    func workerHostSuffix(namespace: String) -> String {
        "\(worker).\(namespace).svc.cluster.local"
    }
}
