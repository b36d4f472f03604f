/// The environment variables of the distributed-run contract, shared by every backend.
///
/// ## Lists too long for the environment
/// Linux refuses to start a process when one environment string is longer than 128 KiB
/// (`MAX_ARG_STRLEN`), which `TYGER_WORKER_NODES` passes at about 2,000 workers with
/// Kubernetes host names. ``jobDiscovery(hosts:ports:inlineLimit:)`` therefore keeps the lists
/// inline while every one of them is at most ``inlineLimit`` bytes (100 KiB) and all of them
/// together at most ``inlineTotalLimit`` bytes (512 KiB, a quarter of the usual 2 MiB `ARG_MAX`
/// for arguments and environment together). Beyond that, *every* list moves to a file: the
/// inline variables are left out and `TYGER_WORKER_NODES_FILE` and
/// `TYGER_<NAME>_WORKER_ENDPOINT_ADDRESSES_FILE` hold the files' absolute paths. The files
/// contain exactly what the inline variable would have held. `TygerWorkerDiscovery` reads
/// whichever is present, so job code does not change.
public enum DiscoveryVariables {
    /// The run's identifier, in every job and worker process.
    public static let runID = "TYGER_RUN_ID"
    /// JSON array of worker hostnames, in the job.
    public static let workerNodes = "TYGER_WORKER_NODES"
    /// The replica index, in each worker.
    public static let workerIndex = "TYGER_WORKER_INDEX"
    /// The suffix of the variable naming the file that holds a list too long to be inline.
    public static let fileSuffix = "_FILE"

    /// The longest list, in UTF-8 bytes, that is passed inline: 100 KiB, safely below Linux's
    /// 128 KiB limit on one environment string (which also counts the name and `=`).
    public static let inlineLimit = 100 * 1024
    /// The most bytes all inline lists of a job may take together: 512 KiB, so that with the
    /// inherited environment and the arguments they stay well below the usual 2 MiB `ARG_MAX`.
    public static let inlineTotalLimit = 512 * 1024

    /// A discovery list delivered as a file rather than inline.
    public struct ListFile: Sendable, Hashable {
        /// The inline variable the list would have been in, such as `TYGER_WORKER_NODES`. It is
        /// also the file's name (and the ConfigMap key on Kubernetes), unique within a run.
        public var variable: String
        /// The JSON array, exactly as the inline variable would have held it.
        public var contents: String
        /// The variable that must name the file's absolute path: ``variable`` + `_FILE`.
        public var fileVariable: String { variable + DiscoveryVariables.fileSuffix }
        /// The file's name: the inline variable's name.
        public var fileName: String { variable }

        /// Creates a list file.
        public init(variable: String, contents: String) {
            self.variable = variable
            self.contents = contents
        }
    }

    /// What a job receives: variables to set as they are, and lists to materialize as files
    /// (a backend writes each file and sets its ``ListFile/fileVariable`` to the file's path).
    public struct JobDiscovery: Sendable {
        /// The variables to set in the job's environment, in order.
        public var inline: [(name: String, value: String)]
        /// The lists to write as files; empty while every list fits inline.
        public var files: [ListFile]

        /// Creates a job's discovery.
        public init(inline: [(name: String, value: String)], files: [ListFile]) {
            self.inline = inline
            self.files = files
        }

        /// The variables when each file of ``files`` is at `path(file)`: ``inline`` plus one
        /// `_FILE` variable per file.
        public func variables(filePath path: (ListFile) -> String) -> [(name: String, value: String)] {
            inline + files.map { (name: $0.fileVariable, value: path($0)) }
        }
    }

    /// The variables a job receives: worker hostnames, and for each endpoint the replicas'
    /// `host:port` addresses, all in replica order, always inline. Backends use
    /// ``jobDiscovery(hosts:ports:inlineLimit:)``, which moves lists too long for the
    /// environment to files.
    ///
    /// - Parameters:
    ///   - hosts: Each replica's hostname, in replica order.
    ///   - ports: For each endpoint, each replica's port, in replica order.
    public static func job(hosts: [String], ports: [(endpoint: Endpoint, ports: [Int])]) -> [(
        name: String, value: String
    )] {
        lists(hosts: hosts, ports: ports)
    }

    /// The discovery of a job: the lists of ``job(hosts:ports:)``, inline while each is at most
    /// `inlineLimit` bytes and all together at most ``inlineTotalLimit``; otherwise all as files.
    ///
    /// - Parameters:
    ///   - hosts: Each replica's hostname, in replica order.
    ///   - ports: For each endpoint, each replica's port, in replica order.
    ///   - inlineLimit: The longest list passed inline; ``inlineLimit`` unless testing.
    public static func jobDiscovery(
        hosts: [String], ports: [(endpoint: Endpoint, ports: [Int])], inlineLimit: Int = DiscoveryVariables.inlineLimit
    ) -> JobDiscovery {
        let lists = lists(hosts: hosts, ports: ports)
        let sizes = lists.map(\.value.utf8.count)
        if sizes.allSatisfy({ $0 <= inlineLimit }), sizes.reduce(0, +) <= inlineTotalLimit {
            return JobDiscovery(inline: lists, files: [])
        }
        return JobDiscovery(inline: [], files: lists.map { ListFile(variable: $0.name, contents: $0.value) })
    }

    private static func lists(hosts: [String], ports: [(endpoint: Endpoint, ports: [Int])]) -> [(
        name: String, value: String
    )] {
        var variables = [(workerNodes, jsonArray(hosts))]
        for (endpoint, replicaPorts) in ports {
            let addresses = zip(hosts, replicaPorts).map { host, port in address(host: host, port: port) }
            variables.append((endpoint.addressesVariable, jsonArray(addresses)))
        }
        return variables
    }

    /// The variables a worker replica receives: its index and the port of each endpoint.
    public static func worker(index: Int, ports: [(endpoint: Endpoint, port: Int)]) -> [(name: String, value: String)] {
        [(workerIndex, "\(index)")] + ports.map { ($0.endpoint.portVariable, "\($0.port)") }
    }

    /// `host:port`, bracketing IPv6 literals.
    public static func address(host: String, port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// A compact JSON array of strings.
    static func jsonArray(_ values: [String]) -> String {
        var json = "["
        json.reserveCapacity(values.reduce(2) { $0 + $1.utf8.count + 3 })
        for (index, value) in values.enumerated() {
            if index > 0 { json += "," }
            TygerJSON.writeString(value, to: &json)
        }
        return json + "]"
    }
}
