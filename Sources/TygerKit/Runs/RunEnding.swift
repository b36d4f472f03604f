public import Foundation

/// Why a run ends, and so its terminal status and the reason it reports: the one place
/// where every backend gets these texts, so that a run ends with the same words wherever
/// it executes.
///
/// ```swift
/// var run = ...
/// run.end(.jobExited(code: 3))     // Failed, "Main exited with code 3"
/// run.end(.timedOut(whilePending: true))  // Canceled, "Run exceeded its timeout while pending"
/// ```
public enum RunEnding: Sendable, Hashable {
    /// Every job replica exited with code 0.
    case jobSucceeded
    /// A job replica exited with a non-zero code.
    case jobExited(code: Int)
    /// A job replica was killed by a signal.
    case jobKilled(signal: Int)
    /// A job replica failed as the backend describes, without an exit code.
    case jobFailed(String)
    /// The job could not be started at all.
    case jobCouldNotStart(String)
    /// A worker replica could not be started (or restarted), so the job never could.
    case workerCouldNotStart(index: Int, String)
    /// A user asked for the run to be canceled.
    case canceledByUser
    /// The run reached its timeout: canceled while pending, failed while running.
    case timedOut(whilePending: Bool)
    /// The backend that executed the run was shut down before the run ended.
    case backendShutDown(backend: String)
    /// The process that executed the run died before the run ended.
    case hostExited
    /// The run was created, but starting it failed; it never executed.
    case couldNotStart(String)
    /// The objects executing the run disappeared before its result was recorded.
    case vanished(String)

    /// The terminal status this ending gives a run.
    public var status: RunStatus {
        switch self {
        case .jobSucceeded: .succeeded
        case .canceledByUser, .backendShutDown, .timedOut(whilePending: true): .canceled
        case .jobExited, .jobKilled, .jobFailed, .jobCouldNotStart, .workerCouldNotStart, .timedOut(whilePending: false),
            .hostExited, .couldNotStart, .vanished:
            .failed
        }
    }

    /// The status reason, as Tyger words it where Tyger has the case; `nil` for success.
    public var reason: String? {
        switch self {
        case .jobSucceeded: nil
        case .jobExited(let code): "Main exited with code \(code)"
        case .jobKilled(let signal): "Main was killed by signal \(signal)"
        case .jobFailed(let message): message
        case .jobCouldNotStart(let message): "The job could not start: \(message)"
        case .workerCouldNotStart(let index, let message): "worker-\(index) could not start: \(message)"
        case .canceledByUser: "Canceled by user"
        case .timedOut(whilePending: true): "Run exceeded its timeout while pending"
        case .timedOut(whilePending: false): "Run exceeded its timeout"
        case .backendShutDown(let backend): "Canceled: the \(backend) backend shut down"
        case .hostExited: "The process that executed the run exited before the run finished"
        case .couldNotStart(let message): "The run could not start: \(message)"
        case .vanished(let message): message
        }
    }

    /// Whether the run passes through `Canceling` on its way to this ending: it is stopped on
    /// request rather than ending by itself.
    public var isCancellation: Bool { status == .canceled }
}

extension Run {
    /// Gives the run its terminal status and reason, finished at `date` (`nil` when unknown);
    /// a terminal run keeps its status, because terminal states never change.
    public mutating func end(_ ending: RunEnding, at date: Date? = Date()) {
        guard !status.isTerminal else { return }
        status = ending.status
        statusReason = ending.reason
        runningCount = nil
        finishedAt = date
    }

    /// Marks the run `Canceling` on its way to `ending`, unless it is already terminal.
    public mutating func beginCanceling(_ ending: RunEnding) {
        guard !status.isTerminal else { return }
        status = .canceling
        statusReason = ending.reason
    }
}
