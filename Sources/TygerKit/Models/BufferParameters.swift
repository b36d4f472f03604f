/// The names of the buffers a job codespec reads and writes.
///
/// Buffer data transport is not part of TygerKit yet; the names are modelled, validated
/// and round-trip so that spec files written for Tyger keep working.
public struct BufferParameters: Sendable, Codable, CustomStringConvertible {
    /// Names of the buffers the job reads.
    public var inputs: [String]
    /// Names of the buffers the job writes.
    public var outputs: [String]

    /// Creates buffer parameters.
    public init(inputs: [String] = [], outputs: [String] = []) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// True when neither inputs nor outputs name a buffer.
    public var isEmpty: Bool { inputs.isEmpty && outputs.isEmpty }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case inputs, outputs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        inputs = try container.decodeIfPresent([String].self, forKey: .inputs) ?? []
        outputs = try container.decodeIfPresent([String].self, forKey: .outputs) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if !inputs.isEmpty { try container.encode(inputs, forKey: .inputs) }
        if !outputs.isEmpty { try container.encode(outputs, forKey: .outputs) }
    }

    public var description: String { "inputs: \(inputs), outputs: \(outputs)" }
}

extension BufferParameters: Hashable {
    /// Order does not matter: `inputs: [a, b]` equals `inputs: [b, a]`.
    public static func == (lhs: BufferParameters, rhs: BufferParameters) -> Bool {
        lhs.inputs.sorted() == rhs.inputs.sorted() && lhs.outputs.sorted() == rhs.outputs.sorted()
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(inputs.sorted())
        hasher.combine(outputs.sorted())
    }
}
