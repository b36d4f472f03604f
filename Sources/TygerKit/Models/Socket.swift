/// A TCP port a job serves instead of reading and writing its buffers through files: Tyger
/// connects the port to an input buffer, an output buffer, or both. Jobs only.
///
/// Buffer data transport is not part of TygerKit yet; sockets are modelled, validated and
/// round-trip so that spec files written for Tyger keep working, and a backend that cannot
/// honour them refuses the run before anything starts.
public struct Socket: Sendable, Hashable, Codable {
    /// The port the job listens on, 1-65535.
    public var port: Int
    /// The input buffer whose data is written into connections on the port.
    public var inputBuffer: String?
    /// The output buffer that receives what the job writes back on the port.
    public var outputBuffer: String?

    /// Creates a socket.
    public init(port: Int, inputBuffer: String? = nil, outputBuffer: String? = nil) {
        self.port = port
        self.inputBuffer = inputBuffer
        self.outputBuffer = outputBuffer
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case port, inputBuffer, outputBuffer
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        port = try container.decode(Int.self, forKey: .port)
        inputBuffer = try container.decodeIfPresent(String.self, forKey: .inputBuffer)
        outputBuffer = try container.decodeIfPresent(String.self, forKey: .outputBuffer)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(port, forKey: .port)
        try container.encodeIfPresent(inputBuffer, forKey: .inputBuffer)
        try container.encodeIfPresent(outputBuffer, forKey: .outputBuffer)
    }
}
