/// A periodic check of a container (`Probe`); only TCP checks are modelled.
///
/// ```swift
/// Probe(tcpSocket: .init(port: 9002), periodSeconds: 2)
/// ```
public struct Probe: Sendable, Hashable, Codable {
    /// Succeeds when the port accepts a TCP connection.
    public var tcpSocket: TCPSocketAction?
    /// Seconds after the container starts before the first check.
    public var initialDelaySeconds: Int?
    /// Seconds between checks.
    public var periodSeconds: Int?
    /// Seconds before a check times out.
    public var timeoutSeconds: Int?
    /// Consecutive successes after a failure that count as success.
    public var successThreshold: Int?
    /// Consecutive failures that count as failure.
    public var failureThreshold: Int?

    /// Creates a probe.
    public init(
        tcpSocket: TCPSocketAction? = nil,
        initialDelaySeconds: Int? = nil,
        periodSeconds: Int? = nil,
        timeoutSeconds: Int? = nil,
        successThreshold: Int? = nil,
        failureThreshold: Int? = nil
    ) {
        self.tcpSocket = tcpSocket
        self.initialDelaySeconds = initialDelaySeconds
        self.periodSeconds = periodSeconds
        self.timeoutSeconds = timeoutSeconds
        self.successThreshold = successThreshold
        self.failureThreshold = failureThreshold
    }

    /// Connects to a port of the container (`TCPSocketAction`).
    public struct TCPSocketAction: Sendable, Hashable, Codable {
        /// The port: a number or a container port name.
        public var port: IntOrString
        /// The host to connect to; the pod IP when absent.
        public var host: String?

        /// Creates a TCP check.
        public init(port: IntOrString, host: String? = nil) {
            self.port = port
            self.host = host
        }
    }
}
