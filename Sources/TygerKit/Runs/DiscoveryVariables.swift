/// The environment variables of the distributed-run contract, shared by every backend.
public enum DiscoveryVariables {
    /// The run's identifier, in every job and worker process.
    public static let runID = "TYGER_RUN_ID"
    /// JSON array of worker hostnames, in the job.
    public static let workerNodes = "TYGER_WORKER_NODES"
    /// The replica index, in each worker.
    public static let workerIndex = "TYGER_WORKER_INDEX"

    /// The variables a job receives: worker hostnames, and for each endpoint the replicas'
    /// `host:port` addresses, all in replica order.
    ///
    /// - Parameters:
    ///   - hosts: Each replica's hostname, in replica order.
    ///   - ports: For each endpoint, each replica's port, in replica order.
    public static func job(hosts: [String], ports: [(endpoint: Endpoint, ports: [Int])]) -> [(name: String, value: String)] {
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
            json += "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case "\n": json += "\\n"
                case "\r": json += "\\r"
                case "\t": json += "\\t"
                case _ where scalar.value < 0x20:
                    json += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\""
        }
        return json + "]"
    }
}
