public import Foundation

/// One line that a process of a run wrote.
public struct RunLogLine: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Which process of the run wrote the line.
    public var source: RunLogSource
    /// The line, without its newline.
    public var text: String
    /// When the backend read the line.
    public var timestamp: Date

    /// Creates a log line.
    public init(source: RunLogSource, text: String, timestamp: Date = Date()) {
        self.source = source
        self.text = text
        self.timestamp = timestamp
    }

    /// The line as merged logs show it: `[worker-1] listening on 8080`.
    public var description: String { "[\(source)] \(text)" }
}

/// Which process of a run a log line comes from.
public enum RunLogSource: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A job replica: its index when the run has several, `nil` when it has one.
    case job(Int?)
    /// A worker replica.
    case worker(Int)
    /// The backend itself: restarts, readiness, cleanup.
    case system

    /// `job` for a single job replica, `job-1` when there are several, `worker-0`, `tyger`.
    public var description: String {
        switch self {
        case .job(nil): "job"
        case .job(let replica?): "job-\(replica)"
        case .worker(let index): "worker-\(index)"
        case .system: "tyger"
        }
    }
}
