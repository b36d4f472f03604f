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

    /// The line with its source, whatever the run's shape: `[worker-1] listening on 8080`.
    /// ``RunLogPrefixes`` labels lines as Tyger does.
    public var description: String { "[\(source)] \(text)" }
}

/// How Tyger labels the lines of a run's merged log: a run of one job replica and no workers
/// prints its lines as they are; otherwise each line starts with `[job]` (`[job-<i>]` when the
/// job has several replicas) or `[worker]` (`[worker-<i>]` when there are several workers).
/// With timestamps, the time comes first, then the label.
///
/// ```swift
/// let prefixes = RunLogPrefixes(run.spec)
/// for try await line in client.logs(of: run.id) { print(prefixes.format(line)) }
/// ```
public struct RunLogPrefixes: Sendable, Hashable {
    /// Job replicas of the run.
    public var jobReplicas: Int
    /// Worker replicas of the run (0 without workers).
    public var workerReplicas: Int

    /// Labels for a run of this shape.
    public init(jobReplicas: Int, workerReplicas: Int) {
        self.jobReplicas = jobReplicas
        self.workerReplicas = workerReplicas
    }

    /// Labels for `spec`'s shape.
    public init(_ spec: ResolvedRunSpec) {
        self.init(jobReplicas: spec.job.replicas, workerReplicas: spec.worker?.replicas ?? 0)
    }

    /// The label of lines from `source`, or `nil` when lines are printed as they are.
    public func label(for source: RunLogSource) -> String? {
        guard jobReplicas + workerReplicas > 1 else { return nil }
        switch source {
        case .job(let replica): return jobReplicas > 1 ? "[job-\(replica ?? 0)]" : "[job]"
        case .worker(let index): return workerReplicas > 1 ? "[worker-\(index)]" : "[worker]"
        }
    }

    /// The line as Tyger prints it: `[time ][label ]text`, the time in UTC (RFC 3339).
    public func format(_ line: RunLogLine, timestamps: Bool = false) -> String {
        var text = ""
        if timestamps { text += MillisecondTimestamp.text(line.timestamp) + " " }
        if let label = label(for: line.source) { text += label + " " }
        return text + line.text
    }

}

/// Which process of a run a log line comes from.
public enum RunLogSource: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A job replica: its index when the run has several, `nil` when it has one.
    case job(Int?)
    /// A worker replica.
    case worker(Int)

    /// `job` for a single job replica, `job-1` when there are several, `worker-0`.
    public var description: String {
        switch self {
        case .job(nil): "job"
        case .job(let replica?): "job-\(replica)"
        case .worker(let index): "worker-\(index)"
        }
    }
}
