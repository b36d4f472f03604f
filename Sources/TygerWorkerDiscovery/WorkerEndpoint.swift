/// The address of one worker replica's endpoint: a host and a TCP port.
///
/// ``host`` is a DNS name, an IPv4 address, or an IPv6 address *without* brackets; ``description``
/// adds the brackets back so the result can be passed straight to a client library:
///
/// ```swift
/// let peer = WorkerEndpoint(host: "fd00::1", port: 9000)
/// print(peer)        // [fd00::1]:9000
/// print(peer.host)   // fd00::1
/// ```
public struct WorkerEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The host name or IP address, without IPv6 brackets, for example `run-42-worker-0.run-42-worker`
    /// or `fd00::1`.
    public let host: String

    /// The TCP port, 1...65535 for endpoints read from the environment.
    public let port: Int

    /// Creates an endpoint from its parts. No validation is done; ``WorkerDiscovery`` validates
    /// what it reads.
    ///
    /// ```swift
    /// let local = WorkerEndpoint(host: "127.0.0.1", port: 41000)
    /// ```
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 host in brackets: `[fd00::1]:9000`.
    public var description: String {
        if host.utf8.contains(UInt8(ascii: ":")) {
            return "[\(host)]:\(port)"
        }
        return "\(host):\(port)"
    }
}

extension WorkerEndpoint {
    /// Why an address or host was rejected, phrased to follow "is not a valid address: ".
    struct ParseError: Error, Sendable {
        var reason: String
    }

    /// Parses `host:port` or `[ipv6]:port` from UTF-8 bytes.
    init(address: UnsafeBufferPointer<UInt8>) throws(ParseError) {
        let colon = UInt8(ascii: ":")
        let hostBytes: UnsafeBufferPointer<UInt8>
        let portBytes: UnsafeBufferPointer<UInt8>
        if address.first == UInt8(ascii: "[") {
            guard let close = address.firstIndex(of: UInt8(ascii: "]")) else {
                throw ParseError(reason: "missing ']' after the bracketed IPv6 address")
            }
            hostBytes = UnsafeBufferPointer(rebasing: address[1..<close])
            guard !hostBytes.isEmpty else { throw ParseError(reason: "empty host between '[' and ']'") }
            guard close + 1 < address.count else {
                throw ParseError(reason: "missing ':port' after ']'")
            }
            guard address[close + 1] == colon else {
                throw ParseError(reason: "expected ':' after ']' but found \(Quoting.character(address[close + 1]))")
            }
            portBytes = UnsafeBufferPointer(rebasing: address[(close + 2)...])
            try HostName.validateIPv6(hostBytes)
        } else {
            // The last colon, so the port (short) is what gets scanned; a colon left in the host
            // is then reported by HostName.validateName as an unbracketed IPv6 address.
            guard let separator = address.lastIndex(of: colon) else {
                throw ParseError(reason: "missing ':port'")
            }
            hostBytes = UnsafeBufferPointer(rebasing: address[..<separator])
            guard !hostBytes.isEmpty else { throw ParseError(reason: "empty host before ':'") }
            portBytes = UnsafeBufferPointer(rebasing: address[(separator + 1)...])
            try HostName.validateName(hostBytes)
        }
        let port = try Self.parsePort(portBytes)
        self.init(host: String(decoding: hostBytes, as: UTF8.self), port: port)
    }

    /// A port is 1...65535 in plain decimal: no sign, no spaces, no leading zeros.
    static func parsePort(_ bytes: UnsafeBufferPointer<UInt8>) throws(ParseError) -> Int {
        guard !bytes.isEmpty else { throw ParseError(reason: "port is empty") }
        switch DecimalInteger.parse(bytes, maximum: 65535) {
        case .value(let port) where port >= 1:
            return port
        case .value, .tooLarge:
            throw ParseError(reason: "port \(Quoting.quote(bytes)) is out of range 1...65535")
        case .leadingZero:
            throw ParseError(reason: "port \(Quoting.quote(bytes)) has a leading zero")
        case .notDecimal:
            throw ParseError(reason: "port \(Quoting.quote(bytes)) is not a decimal integer (digits only, no sign or spaces)")
        }
    }
}
