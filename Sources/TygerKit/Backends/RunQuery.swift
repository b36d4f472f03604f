public import Foundation

/// Which runs ``ClusterBackend/runs(_:)`` lists, newest first: those created after ``since``,
/// in one of ``statuses``, carrying every tag in ``tags``, at most ``limit`` of them. Each
/// backend applies it where the runs are, rather than fetching every run first.
///
/// ```swift
/// let failed = try await backend.runs(RunQuery(statuses: [.failed], tags: ["team": "mri"], limit: 10))
/// ```
public struct RunQuery: Sendable, Hashable {
    /// Runs created strictly after this moment; every run when `nil`.
    public let since: Date?
    /// Runs in one of these statuses; every status when empty.
    public let statuses: Set<RunStatus>
    /// Runs whose tags include each of these key-value pairs.
    public let tags: [String: String]
    /// The most runs to list; `nil` for all. Always 1 or more.
    public let limit: Int?

    /// Every run.
    public static let all = RunQuery(checkedSince: nil, statuses: [], tags: [:], limit: nil)

    /// Creates a query.
    ///
    /// - Throws: ``TygerError`` with code ``TygerError/Code/invalidSpec`` when `limit` is less than 1.
    public init(since: Date? = nil, statuses: Set<RunStatus> = [], tags: [String: String] = [:], limit: Int? = nil)
        throws(TygerError)
    {
        try QueryLimit.check(limit)
        self.init(checkedSince: since, statuses: statuses, tags: tags, limit: limit)
    }

    private init(checkedSince since: Date?, statuses: Set<RunStatus>, tags: [String: String], limit: Int?) {
        self.since = since
        self.statuses = statuses
        self.tags = tags
        self.limit = limit
    }

    /// Whether `run` is selected (the limit aside).
    public func matches(_ run: Run) -> Bool {
        if let since, run.createdAt <= since { return false }
        if !statuses.isEmpty, !statuses.contains(run.status) { return false }
        return tags.allSatisfy { run.tags[$0.key] == $0.value }
    }

    /// The same query without its limit, for counting.
    public var unlimited: RunQuery {
        RunQuery(checkedSince: since, statuses: statuses, tags: tags, limit: nil)
    }
}

/// Which lines of a run's log ``ClusterBackend/logs(of:_:)`` gives: with ``follow``, new lines
/// until the run is terminal; only lines written after ``since``; only the last ``tail``
/// lines of each process.
public struct RunLogOptions: Sendable, Hashable {
    /// Keep giving new lines until the run is terminal.
    public var follow: Bool
    /// Only lines written strictly after this moment.
    public var since: Date?
    /// Only the last this many lines of each process (`0` for none).
    public var tail: Int?

    /// Creates log options.
    public init(follow: Bool = false, since: Date? = nil, tail: Int? = nil) {
        self.follow = follow
        self.since = since
        self.tail = tail
    }
}

/// Something that happened to a run and why, for a person following it: a worker exited
/// and restarts, a worker is not ready and why, the job started, the run ends.
public struct RunEvent: Sendable, Hashable, Codable, CustomStringConvertible {
    /// When it happened.
    public var time: Date
    /// The replica it concerns (`worker-2`, `job`), when it concerns one.
    public var replica: String?
    /// What happened, in words a person can act on.
    public var message: String

    /// Creates an event.
    public init(time: Date = Date(), replica: String? = nil, message: String) {
        self.time = time
        self.replica = replica
        self.message = message
    }

    public var description: String { message }
}
