/// Which runs ``ClusterBackend/runs(_:)`` lists, newest first: at most ``limit`` of them.
///
/// ```swift
/// let recent = try await backend.runs(RunQuery(limit: 10))
/// ```
public struct RunQuery: Sendable, Hashable {
    /// The most runs to list; `nil` for all. Always 1 or more.
    public let limit: Int?

    /// Every run.
    public static let all = RunQuery(checkedLimit: nil)

    /// Creates a query.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/invalidSpec`` when `limit` is less than 1.
    public init(limit: Int? = nil) throws(TygerError) {
        try QueryLimit.check(limit)
        self.init(checkedLimit: limit)
    }

    private init(checkedLimit limit: Int?) {
        self.limit = limit
    }
}
