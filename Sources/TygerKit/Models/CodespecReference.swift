/// How a run names the codespec of its job or workers: by name (the latest version when
/// the run is created), by name and version, or inline.
///
/// ```swift
/// let latest = try CodespecReference(parsing: "trainer")
/// let pinned = try CodespecReference(parsing: "trainer/versions/3")
/// ```
public enum CodespecReference: Sendable, Hashable {
    /// A stored codespec: the given version, or the latest when `version` is `nil`.
    case named(String, version: Int?)
    /// A codespec written in place.
    case inline(Codespec)

    /// The grammar of a textual reference.
    public static let grammar = #"^[a-z0-9\-._]+(/versions/[0-9]+)?$"#

    /// Parses `name` or `name/versions/N`.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/invalidReference`` naming the expected forms.
    public init(parsing text: String) throws(TygerError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let name = String(parts[0])
        if CodespecName.isValid(name) {
            if parts.count == 1 {
                self = .named(name, version: nil)
                return
            }
            if parts.count == 3, parts[1] == "versions", let version = CodespecReference.parseVersion(parts[2]) {
                self = .named(name, version: version)
                return
            }
        }
        throw TygerError(
            .invalidReference,
            "'\(text)' is not a codespec reference; expected 'name' or 'name/versions/N', "
                + "where the name matches \(CodespecName.pattern) and N is a version number"
        )
    }

    /// Creates a reference to a stored codespec.
    public init(name: String, version: Int? = nil) {
        self = .named(name, version: version)
    }

    /// The reference as a spec file writes it, or `nil` for an inline codespec.
    public var text: String? {
        switch self {
        case .named(let name, let version?): "\(name)/versions/\(version)"
        case .named(let name, nil): name
        case .inline: nil
        }
    }

    private static func parseVersion(_ digits: Substring) -> Int? {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int(digits)
    }
}

extension CodespecReference: Codable {
    /// Decodes a reference string or an inline codespec mapping (kind `job` unless written).
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer(), let text = try? container.decode(String.self) {
            do {
                self = try CodespecReference(parsing: text)
            } catch {
                // The TygerError rides along so that spec-file errors keep its `invalidReference` code.
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: error.message, underlyingError: error)
                )
            }
        } else if (try? decoder.container(keyedBy: StringCodingKey.self)) != nil {
            self = .inline(try Codespec(from: decoder))
        } else {
            throw DecodingError.typeMismatch(
                CodespecReference.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "expected a codespec: a name, 'name/versions/N' or an inline codespec mapping"
                )
            )
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .named:
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .inline(let codespec):
            try codespec.encode(to: encoder)
        }
    }

    /// Decodes the reference under `key`, where an inline codespec takes its kind from the
    /// target it stands in (`job:` or `worker:`) and may not say otherwise.
    static func decode<Key: CodingKey>(
        from container: KeyedDecodingContainer<Key>,
        forKey key: Key,
        standingIn position: CodespecKind
    ) throws -> CodespecReference {
        guard container.contains(key) else {
            throw DecodingError.keyNotFound(
                key,
                DecodingError.Context(
                    codingPath: container.codingPath,
                    debugDescription: "the \(position) target needs a codespec: a name, 'name/versions/N' "
                        + "or an inline codespec"
                )
            )
        }
        let decoder = try container.superDecoder(forKey: key)
        let reference = try CodespecReference(from: decoder)
        guard case .inline(var codespec) = reference else { return reference }
        let fields = try decoder.container(keyedBy: Codespec.CodingKeys.self)
        if let written = try fields.decodeIfPresent(CodespecKind.self, forKey: .kind), written != position {
            throw DecodingError.dataCorruptedError(
                forKey: .kind,
                in: fields,
                debugDescription: "an inline codespec under '\(position)' is a \(position) codespec, but this one says "
                    + "kind: \(written); remove 'kind' or write kind: \(position)"
            )
        }
        codespec.kind = position
        return .inline(codespec)
    }
}

/// The rules for codespec names.
enum CodespecName {
    static let pattern = #"^[a-z0-9\-._]+$"#

    static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name != "." && name != ".."
            && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            }
    }
}
