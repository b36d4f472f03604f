/// A named TCP port that a worker codespec serves, such as `rpc: 8080`.
///
/// The job finds every replica's address for it in
/// `TYGER_<NAME_UPPERCASED>_WORKER_ENDPOINT_ADDRESSES`.
public struct Endpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The endpoint name: a letter, then letters, digits, `_` or `-`.
    public var name: String
    /// The port the worker listens on, 1-65535.
    public var port: Int

    /// Creates an endpoint.
    public init(name: String, port: Int) {
        self.name = name
        self.port = port
    }

    /// The environment variable through which a job reads this endpoint's worker addresses.
    public var addressesVariable: String { "TYGER_\(name.uppercased())_WORKER_ENDPOINT_ADDRESSES" }

    /// The environment variable through which a worker replica reads the port to listen on.
    public var portVariable: String { "TYGER_\(name.uppercased())_ENDPOINT_PORT" }

    public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
        (lhs.name, lhs.port) < (rhs.name, rhs.port)
    }

    public var description: String { "\(name): \(port)" }
}
