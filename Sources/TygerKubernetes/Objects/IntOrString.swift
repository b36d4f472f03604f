/// A value Kubernetes accepts as either a number or a name, such as a Service's `targetPort`
/// (`8080` or `"http"`).
///
/// ```swift
/// let byNumber: IntOrString = 8080
/// let byName: IntOrString = "http"
/// ```
public enum IntOrString: Sendable, Hashable, Codable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// A number, encoded as a JSON number.
    case int(Int)
    /// A name, encoded as a JSON string.
    case string(String)

    public init(integerLiteral value: Int) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let number): try container.encode(number)
        case .string(let name): try container.encode(name)
        }
    }

    public var description: String {
        switch self {
        case .int(let number): "\(number)"
        case .string(let name): name
        }
    }
}
