/// Finds the worker replicas of a Tyger run, from the job's side and from each worker's side.
///
/// Tyger starts a job together with `R` worker replicas and describes them to both through
/// environment variables. This type reads those variables, validates them strictly, and turns
/// them into values, so job code never parses JSON or splits `host:port` itself.
///
/// On the **job**, ask for the addresses of a worker endpoint by the name it was given in the
/// run specification; entry `i` belongs to replica `i`:
///
/// ```swift
/// import TygerWorkerDiscovery
///
/// let peers = try WorkerDiscovery.endpoints("rpc")   // reads TYGER_RPC_WORKER_ENDPOINT_ADDRESSES
/// for (replica, peer) in peers.enumerated() {
///     print("worker \(replica) listens at \(peer)")  // e.g. run-42-worker-0.run-42-worker:9002
/// }
/// ```
///
/// On a **worker**, find out which replica this is and where to listen:
///
/// ```swift
/// let index = try WorkerDiscovery.workerIndex()          // TYGER_WORKER_INDEX
/// let port = try WorkerDiscovery.listenPort(for: "rpc")  // TYGER_RPC_ENDPOINT_PORT
/// ```
///
/// Endpoint names are case-insensitive (`rpc` and `RPC` read the same variables) and must match
/// `^[-._A-Za-z0-9]+$`. Lists too large for an environment variable are delivered in files
/// named by `…_FILE` variables; every function here follows them transparently.
///
/// Each function has a twin taking an `environment` dictionary, which behaves identically and
/// exists so that code built on this type can be tested without touching the process environment.
public enum WorkerDiscovery {
    static let nodesVariable = "TYGER_WORKER_NODES"
    static let workerIndexVariable = "TYGER_WORKER_INDEX"
    static let runIDVariable = "TYGER_RUN_ID"
    static let fileSuffix = "_FILE"
    static let addressesSuffix = "_WORKER_ENDPOINT_ADDRESSES"
    static let portSuffix = "_ENDPOINT_PORT"

    // MARK: Job side

    /// The address of endpoint `name` on every worker replica, in replica order `0..<R`.
    ///
    /// Reads `TYGER_<NAME>_WORKER_ENDPOINT_ADDRESSES` from the process environment, or the file
    /// named by `TYGER_<NAME>_WORKER_ENDPOINT_ADDRESSES_FILE` when the former is not set. If
    /// `TYGER_WORKER_NODES` (or its file) is also present, the two lists must have the same length.
    ///
    /// ```swift
    /// let peers = try WorkerDiscovery.endpoints("rpc")
    /// let first = peers[0]   // WorkerEndpoint(host: "run-42-worker-0.run-42-worker", port: 9002)
    /// ```
    ///
    /// - Parameter name: The endpoint name from the run specification, in any letter case.
    /// - Returns: One endpoint per replica; empty when the run has no replicas.
    /// - Throws: ``WorkerDiscoveryError`` with code ``WorkerDiscoveryError/Code/invalidName``,
    ///   ``WorkerDiscoveryError/Code/missingVariable`` (the message lists the endpoints that do exist),
    ///   ``WorkerDiscoveryError/Code/unreadableFile``, ``WorkerDiscoveryError/Code/malformedJSON``,
    ///   ``WorkerDiscoveryError/Code/invalidAddress`` or ``WorkerDiscoveryError/Code/lengthMismatch``.
    public static func endpoints(_ name: String) throws(WorkerDiscoveryError) -> [WorkerEndpoint] {
        try endpoints(name, in: .process)
    }

    /// The address of endpoint `name` on every worker replica, read from `environment` instead of
    /// the process environment. Otherwise identical to ``endpoints(_:)``.
    ///
    /// ```swift
    /// let peers = try WorkerDiscovery.endpoints("rpc", environment: [
    ///     "TYGER_RPC_WORKER_ENDPOINT_ADDRESSES": #"["w-0:9002","[fd00::1]:9002"]"#,
    /// ])
    /// // [w-0:9002, [fd00::1]:9002]
    /// ```
    public static func endpoints(
        _ name: String, environment: [String: String]
    ) throws(WorkerDiscoveryError) -> [WorkerEndpoint] {
        try endpoints(name, in: .dictionary(environment))
    }

    /// The host name of every worker replica, in replica order `0..<R`.
    ///
    /// Reads `TYGER_WORKER_NODES`, or the file named by `TYGER_WORKER_NODES_FILE` when the former
    /// is not set.
    ///
    /// ```swift
    /// let nodes = try WorkerDiscovery.nodes()   // ["run-42-worker-0.run-42-worker", ...]
    /// ```
    ///
    /// - Throws: ``WorkerDiscoveryError`` with code ``WorkerDiscoveryError/Code/missingVariable``,
    ///   ``WorkerDiscoveryError/Code/unreadableFile``, ``WorkerDiscoveryError/Code/malformedJSON``
    ///   or, for an entry that is not a host name or IP address, ``WorkerDiscoveryError/Code/invalidValue``.
    public static func nodes() throws(WorkerDiscoveryError) -> [String] {
        try nodes(in: .process)
    }

    /// The host name of every worker replica, read from `environment`. Otherwise identical to ``nodes()``.
    ///
    /// ```swift
    /// let nodes = try WorkerDiscovery.nodes(environment: ["TYGER_WORKER_NODES": #"["w-0","w-1"]"#])
    /// ```
    public static func nodes(environment: [String: String]) throws(WorkerDiscoveryError) -> [String] {
        try nodes(in: .dictionary(environment))
    }

    // MARK: Worker side

    /// This worker replica's index, `0..<R`, from `TYGER_WORKER_INDEX`.
    ///
    /// It is the position of this replica in the job's ``endpoints(_:)`` and ``nodes()`` lists.
    ///
    /// ```swift
    /// let index = try WorkerDiscovery.workerIndex()
    /// let shard = allShards[index]
    /// ```
    ///
    /// - Throws: ``WorkerDiscoveryError`` with code ``WorkerDiscoveryError/Code/missingVariable``,
    ///   or ``WorkerDiscoveryError/Code/invalidValue`` unless the value is a plain decimal integer.
    public static func workerIndex() throws(WorkerDiscoveryError) -> Int {
        try workerIndex(in: .process)
    }

    /// This worker replica's index, read from `environment`. Otherwise identical to ``workerIndex()``.
    ///
    /// ```swift
    /// let index = try WorkerDiscovery.workerIndex(environment: ["TYGER_WORKER_INDEX": "3"])   // 3
    /// ```
    public static func workerIndex(environment: [String: String]) throws(WorkerDiscoveryError) -> Int {
        try workerIndex(in: .dictionary(environment))
    }

    /// The port this worker replica must listen on for `endpoint`, from `TYGER_<ENDPOINT>_ENDPOINT_PORT`.
    ///
    /// ```swift
    /// let port = try WorkerDiscovery.listenPort(for: "rpc")
    /// try server.bind(host: "0.0.0.0", port: port)
    /// ```
    ///
    /// - Parameter endpoint: The endpoint name from the run specification, in any letter case.
    /// - Throws: ``WorkerDiscoveryError`` with code ``WorkerDiscoveryError/Code/invalidName``,
    ///   ``WorkerDiscoveryError/Code/missingVariable`` (the message lists the ports that do exist),
    ///   or ``WorkerDiscoveryError/Code/invalidValue`` unless the value is a port 1...65535.
    public static func listenPort(for endpoint: String) throws(WorkerDiscoveryError) -> Int {
        try listenPort(for: endpoint, in: .process)
    }

    /// The port to listen on for `endpoint`, read from `environment`. Otherwise identical to
    /// ``listenPort(for:)``.
    ///
    /// ```swift
    /// let port = try WorkerDiscovery.listenPort(for: "rpc", environment: ["TYGER_RPC_ENDPOINT_PORT": "9002"])
    /// ```
    public static func listenPort(
        for endpoint: String, environment: [String: String]
    ) throws(WorkerDiscoveryError) -> Int {
        try listenPort(for: endpoint, in: .dictionary(environment))
    }

    // MARK: Both sides

    /// The ID of the run this process belongs to, from `TYGER_RUN_ID`.
    ///
    /// ```swift
    /// print("run \(try WorkerDiscovery.runID()) starting")
    /// ```
    ///
    /// - Throws: ``WorkerDiscoveryError`` with code ``WorkerDiscoveryError/Code/missingVariable``,
    ///   or ``WorkerDiscoveryError/Code/invalidValue`` when it is set but empty.
    public static func runID() throws(WorkerDiscoveryError) -> String {
        try runID(in: .process)
    }

    /// The ID of the run, read from `environment`. Otherwise identical to ``runID()``.
    ///
    /// ```swift
    /// let id = try WorkerDiscovery.runID(environment: ["TYGER_RUN_ID": "42"])   // "42"
    /// ```
    public static func runID(environment: [String: String]) throws(WorkerDiscoveryError) -> String {
        try runID(in: .dictionary(environment))
    }
}

// MARK: - Implementation shared by the process and dictionary variants

extension WorkerDiscovery {
    static func endpoints(_ name: String, in environment: Environment) throws(WorkerDiscoveryError) -> [WorkerEndpoint] {
        let variable = "TYGER_" + (try canonicalName(name)) + addressesSuffix
        guard let list = try readList(variable, in: environment) else {
            let available = availableNames(in: environment, suffixes: [addressesSuffix, addressesSuffix + fileSuffix])
            let hint = available.isEmpty
                ? "no worker endpoints are set (is this process the job of a run with workers?)"
                : "endpoints available: " + available.joined(separator: ", ")
            throw WorkerDiscoveryError(
                code: .missingVariable, variable: variable,
                message: "\(variable) is not set (nor \(variable)\(fileSuffix)); \(hint)")
        }

        var endpoints: [WorkerEndpoint] = []
        endpoints.reserveCapacity(list.elements.count)
        try list.elements.forEach { (index: Int, address: UnsafeBufferPointer<UInt8>) throws(WorkerDiscoveryError) in
            do throws(WorkerEndpoint.ParseError) {
                endpoints.append(try WorkerEndpoint(address: address))
            } catch {
                throw WorkerDiscoveryError(
                    code: .invalidAddress, variable: list.variable,
                    message: "entry \(index) of \(list.subject) is not a valid 'host:port' address: "
                        + "\(error.reason); entry: \(Quoting.quote(address))")
            }
        }

        // A length mismatch means the two lists cannot both be in replica order, so neither can be trusted.
        if let nodes = try readList(nodesVariable, in: environment), nodes.elements.count != endpoints.count {
            throw WorkerDiscoveryError(
                code: .lengthMismatch, variable: list.variable,
                message: "\(list.subject) has \(endpoints.count) \(plural(endpoints.count, "entry", "entries")) "
                    + "but \(nodes.subject) has \(nodes.elements.count); "
                    + "both must list every worker replica in the same order")
        }
        return endpoints
    }

    static func nodes(in environment: Environment) throws(WorkerDiscoveryError) -> [String] {
        guard let list = try readList(nodesVariable, in: environment) else {
            throw WorkerDiscoveryError(
                code: .missingVariable, variable: nodesVariable,
                message: "\(nodesVariable) is not set (nor \(nodesVariable)\(fileSuffix)); "
                    + "is this process the job of a run with workers?")
        }
        var nodes: [String] = []
        nodes.reserveCapacity(list.elements.count)
        try list.elements.forEach { (index: Int, host: UnsafeBufferPointer<UInt8>) throws(WorkerDiscoveryError) in
            do throws(WorkerEndpoint.ParseError) {
                try HostName.validate(host)
            } catch {
                throw WorkerDiscoveryError(
                    code: .invalidValue, variable: list.variable,
                    message: "entry \(index) of \(list.subject) is not a valid host name: "
                        + "\(error.reason); entry: \(Quoting.quote(host))")
            }
            nodes.append(String(decoding: host, as: UTF8.self))
        }
        return nodes
    }

    static func workerIndex(in environment: Environment) throws(WorkerDiscoveryError) -> Int {
        let variable = workerIndexVariable
        guard let value = environment.value(variable) else {
            throw WorkerDiscoveryError(
                code: .missingVariable, variable: variable,
                message: "\(variable) is not set; is this process a worker replica of a run?")
        }
        guard case .value(let index) = DecimalInteger.parse(value, maximum: Int.max) else {
            throw WorkerDiscoveryError(
                code: .invalidValue, variable: variable,
                message: "\(variable) must be a replica index (a non-negative decimal integer without sign, "
                    + "spaces or leading zeros) but is \(Quoting.quote(value))")
        }
        return index
    }

    static func listenPort(for endpoint: String, in environment: Environment) throws(WorkerDiscoveryError) -> Int {
        let variable = "TYGER_" + (try canonicalName(endpoint)) + portSuffix
        guard let value = environment.value(variable) else {
            let available = availableNames(in: environment, suffixes: [portSuffix])
            let hint = available.isEmpty
                ? "no endpoint ports are set (is this process a worker replica of a run with endpoints?)"
                : "endpoint ports available: " + available.joined(separator: ", ")
            throw WorkerDiscoveryError(
                code: .missingVariable, variable: variable,
                message: "\(variable) is not set; \(hint)")
        }
        var copy = value
        let result = copy.withUTF8 { bytes in
            Result { () throws(WorkerEndpoint.ParseError) in try WorkerEndpoint.parsePort(bytes) }
        }
        switch result {
        case .success(let port):
            return port
        case .failure(let error):
            throw WorkerDiscoveryError(
                code: .invalidValue, variable: variable,
                message: "\(variable) is not a valid port: \(error.reason); value: \(Quoting.quote(value))")
        }
    }

    static func runID(in environment: Environment) throws(WorkerDiscoveryError) -> String {
        let variable = runIDVariable
        guard let value = environment.value(variable) else {
            throw WorkerDiscoveryError(
                code: .missingVariable, variable: variable,
                message: "\(variable) is not set; is this process part of a Tyger run?")
        }
        guard !value.isEmpty else {
            throw WorkerDiscoveryError(code: .invalidValue, variable: variable, message: "\(variable) is set but empty")
        }
        return value
    }

    /// Upper-cases a valid endpoint name. Anything else is refused *before* it becomes part of a
    /// variable name, so `"rpc_WORKER_X"`-style tricks or `"a=b"` can never address another variable.
    static func canonicalName(_ name: String) throws(WorkerDiscoveryError) -> String {
        guard isEndpointName(name.utf8) else {
            throw WorkerDiscoveryError(
                code: .invalidName, variable: nil,
                message: "\(Quoting.quote(name)) is not a valid endpoint name; "
                    + "names must match ^[-._A-Za-z0-9]+$")
        }
        // ASCII-only after validation, so this upper-cases exactly the letters.
        return String(decoding: name.utf8.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 },
                      as: UTF8.self)
    }

    /// Letters, digits, `_`, `-` and `.`: what Kubernetes allows in the variable the name
    /// becomes, kept unchanged as Tyger keeps it (its own files use `test-worker`).
    static func isEndpointName(_ name: some Collection<UInt8>) -> Bool {
        !name.isEmpty
            && name.allSatisfy {
                isLetter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_")
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    /// Lower-cased names of the endpoints that *can* be looked up, for "did you mean" hints.
    ///
    /// Only upper-case middles are listed: a variable spelled `TYGER_Rpc_…` is unreachable
    /// because lookups upper-case the name, so listing it would send the reader astray.
    static func availableNames(in environment: Environment, suffixes: [String]) -> [String] {
        var names = Set<String>()
        for key in environment.names() where key.hasPrefix("TYGER_") {
            for suffix in suffixes where key.hasSuffix(suffix) {
                let utf8 = Array(key.utf8)
                let middle = utf8[6..<max(6, utf8.count - suffix.utf8.count)]
                let isUpper = !middle.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
                if isEndpointName(middle), isUpper {
                    names.insert(String(decoding: middle, as: UTF8.self).lowercased())
                }
            }
        }
        return names.sorted()
    }

    /// A list read from a variable or from the file it names.
    struct List {
        var elements: JSONStringArray
        /// The variable actually read: the inline one, or the `_FILE` one.
        var variable: String
        /// How messages refer to the list, e.g. `TYGER_WORKER_NODES` or `file '/x' named by TYGER_WORKER_NODES_FILE`.
        var subject: String
    }

    /// Reads the JSON list in `variable`, else in the file named by `variable_FILE`; `nil` when neither is set.
    ///
    /// The inline value wins when both are set: the platform only adds a file when the inline
    /// value would not fit, so an inline value is never a stale leftover.
    static func readList(_ variable: String, in environment: Environment) throws(WorkerDiscoveryError) -> List? {
        if let inline = environment.value(variable) {
            var text = inline
            let result = text.withUTF8 { bytes in
                Result { () throws(WorkerDiscoveryError) in
                    try parseList(bytes, variable: variable, subject: variable, noun: "value")
                }
            }
            return try result.get()
        }
        let fileVariable = variable + fileSuffix
        guard let path = environment.value(fileVariable) else { return nil }
        guard !path.isEmpty else {
            throw WorkerDiscoveryError(
                code: .unreadableFile, variable: fileVariable,
                message: "\(fileVariable) is set but empty; expected the path of a file holding a JSON array of strings")
        }
        let subject = "file \(Quoting.quote(path)) named by \(fileVariable)"
        let contents: [UInt8]
        do {
            contents = try FileContents.read(path: path)
        } catch {
            throw WorkerDiscoveryError(
                code: .unreadableFile, variable: fileVariable,
                message: "cannot read \(subject): \(error.text) (errno \(error.number))")
        }
        return try contents.withUnsafeBufferPointer { (bytes) throws(WorkerDiscoveryError) in
            try parseList(bytes, variable: fileVariable, subject: subject, noun: "contents")
        }
    }

    private static func parseList(
        _ bytes: UnsafeBufferPointer<UInt8>, variable: String, subject: String, noun: String
    ) throws(WorkerDiscoveryError) -> List {
        do {
            return List(elements: try JSONStringArray(parsing: bytes), variable: variable, subject: subject)
        } catch {
            throw WorkerDiscoveryError(
                code: .malformedJSON, variable: variable,
                message: "\(subject) is not a JSON array of strings: at byte offset \(error.offset), \(error.reason); "
                    + "\(noun): \(Quoting.quote(bytes, around: error.offset))")
        }
    }

    private static func plural(_ count: Int, _ singular: String, _ plural: String) -> String {
        count == 1 ? singular : plural
    }
}
