/// Where a run is in its life.
///
/// `Pending` covers everything before the job executes, including waiting for workers.
/// Once a run is ``isTerminal`` its status never changes again.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Created, not executing yet: starting, or waiting for workers.
    case pending = "Pending"
    /// The job is executing.
    case running = "Running"
    /// Every job replica exited with code 0.
    case succeeded = "Succeeded"
    /// A job replica exited non-zero, could not start, or ran past the timeout.
    case failed = "Failed"
    /// A cancel was requested and is being carried out.
    case canceling = "Canceling"
    /// The run was canceled, by a user or by its timeout while pending.
    case canceled = "Canceled"

    /// True for Succeeded, Failed and Canceled.
    public var isTerminal: Bool {
        switch self {
        case .succeeded, .failed, .canceled: true
        case .pending, .running, .canceling: false
        }
    }

    public var description: String { rawValue }
}
