/// The environment a run's job and worker processes start with, composed the same way on
/// every backend.
///
/// The variables the contract injects come first, in a fixed order: `TYGER_RUN_ID`, then
/// for a job the discovery lists (``DiscoveryVariables``), for a worker its index and its
/// endpoint ports. The codespec's own `env` follows, sorted by name, so that its values may
/// refer to the injected ones as `$(TYGER_RUN_ID)`. A codespec entry with the name of an
/// injected variable is dropped: the contract's value wins.
///
/// ```swift
/// let injected = RunEnvironment.worker(runID: id, index: 2, ports: [(endpoint: rpc, port: 8080)])
/// let variables = RunEnvironment.compose(injected: injected, codespec: workerCodespec)
/// ```
public enum RunEnvironment {
    /// What a job replica is given: `TYGER_RUN_ID`, then the discovery variables in order.
    public static func job(runID: RunID, discovery: [(name: String, value: String)] = []) -> [(
        name: String, value: String
    )] {
        [(DiscoveryVariables.runID, runID.description)] + discovery
    }

    /// What worker replica `index` is given: `TYGER_RUN_ID`, `TYGER_WORKER_INDEX`, and
    /// `TYGER_<NAME>_ENDPOINT_PORT` for each endpoint in the codespec's order.
    public static func worker(runID: RunID, index: Int, ports: [(endpoint: Endpoint, port: Int)]) -> [(
        name: String, value: String
    )] {
        [(DiscoveryVariables.runID, runID.description)] + DiscoveryVariables.worker(index: index, ports: ports)
    }

    /// `run-<id>-worker-<index>`: the host name of worker replica `index`, as Tyger names a
    /// worker's pod; backends whose replicas share a host set it as `HOSTNAME`, so programs
    /// that tell replicas apart by host name work there too.
    public static func workerHostname(runID: RunID, index: Int) -> String {
        "run-\(runID)-worker-\(index)"
    }

    /// `run-<id>-job-<replica>`: the host name of job replica `replica`, as Tyger names a job's pod.
    public static func jobHostname(runID: RunID, replica: Int) -> String {
        "run-\(runID)-job-\(replica)"
    }

    /// The whole environment of one process: `injected` in order, then the codespec's `env`
    /// sorted by name, without the entries an injected variable already defines.
    public static func compose(injected: [(name: String, value: String)], codespec: Codespec) -> [(
        name: String, value: String
    )] {
        let injectedNames = Set(injected.map(\.name))
        let own = codespec.env.sorted { $0.key < $1.key }
            .filter { !injectedNames.contains($0.key) }
            .map { (name: $0.key, value: $0.value) }
        return injected + own
    }
}
