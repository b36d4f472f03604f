/// An error thrown by ``WorkerDiscovery`` when the environment does not describe the workers
/// the caller asked for.
///
/// The ``message`` is written for a human reading a job's log: it names the variable involved,
/// quotes the offending value, and says what was expected. Branch on ``code`` in code:
///
/// ```swift
/// do {
///     let peers = try WorkerDiscovery.endpoints("rpc")
/// } catch where error.code == .missingVariable {
///     print("not running with workers: \(error)")
/// }
/// ```
public struct WorkerDiscoveryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of a ``WorkerDiscoveryError``.
    ///
    /// A struct rather than a public enum so that new categories can be added later without
    /// breaking callers' exhaustive `switch` statements. Compare with `==` or match in a `case`:
    ///
    /// ```swift
    /// if error.code == .lengthMismatch { ... }
    /// ```
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable, Sendable {
            case missingVariable
            case malformedJSON
            case invalidAddress
            case lengthMismatch
            case invalidName
            case unreadableFile
            case invalidValue
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// A required variable (and its `_FILE` alternative, where one exists) is not set.
        public static let missingVariable = Code(.missingVariable)
        /// A variable or file that should hold a JSON array of strings holds something else.
        public static let malformedJSON = Code(.malformedJSON)
        /// An entry of an endpoint address list is not a valid `host:port`.
        public static let invalidAddress = Code(.invalidAddress)
        /// An endpoint address list and `TYGER_WORKER_NODES` have different lengths.
        public static let lengthMismatch = Code(.lengthMismatch)
        /// An endpoint name does not match `^[-._A-Za-z0-9]+$`.
        public static let invalidName = Code(.invalidName)
        /// A `_FILE` variable names a file that cannot be read.
        public static let unreadableFile = Code(.unreadableFile)
        /// A variable is set but its value is not acceptable (for example a non-numeric port).
        public static let invalidValue = Code(.invalidValue)

        /// The code's name, for example `missingVariable`.
        public var description: String {
            switch kind {
            case .missingVariable: "missingVariable"
            case .malformedJSON: "malformedJSON"
            case .invalidAddress: "invalidAddress"
            case .lengthMismatch: "lengthMismatch"
            case .invalidName: "invalidName"
            case .unreadableFile: "unreadableFile"
            case .invalidValue: "invalidValue"
            }
        }
    }

    /// What kind of problem this is.
    public let code: Code

    /// The environment variable the problem concerns, such as `TYGER_RPC_WORKER_ENDPOINT_ADDRESSES`,
    /// or `nil` when no variable is involved (for example an invalid endpoint name).
    ///
    /// When a list was read from a file, this is the `_FILE` variable that named it.
    public let variable: String?

    /// A complete, human-readable explanation of the problem.
    public let message: String

    /// Creates an error. Mostly useful for tests that stand in for ``WorkerDiscovery``.
    ///
    /// ```swift
    /// let error = WorkerDiscoveryError(code: .missingVariable, variable: "TYGER_RUN_ID",
    ///                                  message: "TYGER_RUN_ID is not set")
    /// ```
    public init(code: Code, variable: String?, message: String) {
        self.code = code
        self.variable = variable
        self.message = message
    }

    /// The ``message``, which already names the variable involved.
    public var description: String {
        message
    }
}
