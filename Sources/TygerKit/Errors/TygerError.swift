/// The error every TygerKit API throws.
///
/// A `TygerError` says what went wrong in words a person can act on, where it went wrong
/// (for spec files: the file, line, column and key path), and keeps the error underneath,
/// if any. Match on ``code`` to react programmatically:
///
/// ```swift
/// do {
///     let run = try SpecFile.decodeRun(contentsOf: url)
/// } catch let error as TygerError where error.code == .invalidSpec {
///     print(error)  // run.yaml:7:7: worker.codespec.endpoints.rpc: port 70000 is out of range; allowed: 1-65535
/// }
/// ```
public struct TygerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. New codes may be added in later versions.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidSpec
            case invalidReference
            case codespecNotFound
            case versionNotFound
            case kindMismatch
            case storage
            case runNotFound
            case backend
            case conflict
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A spec file, model or flag breaks a rule: syntax, unknown field, wrong type or invalid value.
        public static let invalidSpec = Code(.invalidSpec)
        /// A codespec reference is not `name`, `name/versions/N` or an inline codespec.
        public static let invalidReference = Code(.invalidReference)
        /// No codespec has the referenced name.
        public static let codespecNotFound = Code(.codespecNotFound)
        /// The codespec exists but not at the referenced version.
        public static let versionNotFound = Code(.versionNotFound)
        /// A job target refers to a worker codespec, or the reverse.
        public static let kindMismatch = Code(.kindMismatch)
        /// A codespec store could not read or write its data.
        public static let storage = Code(.storage)
        /// No run has the given identifier.
        public static let runNotFound = Code(.runNotFound)
        /// A cluster backend failed to carry out a request.
        public static let backend = Code(.backend)
        /// What was changed is not what the caller read: a stale ``Run/eTag``.
        public static let conflict = Code(.conflict)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and what is allowed instead.
    public var message: String
    /// Where in a spec the problem is, when it comes from one.
    public var location: SpecLocation?
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?
    /// Further problems found in the same input, so that one pass reports all of them.
    public var related: [TygerError]

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        location: SpecLocation? = nil,
        underlying: (any Error & Sendable)? = nil,
        related: [TygerError] = []
    ) {
        self.code = code
        self.message = message
        self.location = location
        self.underlying = underlying
        self.related = related
    }

    /// The problem, prefixed by its location, followed by any related problems on their own lines.
    public var description: String {
        ([self] + related).map(\.singleLineDescription).joined(separator: "\n")
    }

    private var singleLineDescription: String {
        guard let location else { return message }
        return "\(location): \(message)"
    }
}
