/// A condition of a Kubernetes object's status (`JobCondition`, `PodCondition`): the fields
/// TygerKit reads are the same for every kind, so one type serves them all.
public struct ObjectCondition: Sendable, Hashable, Codable {
    /// `Ready`, `Complete`, `Failed`, ...
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    /// A one-word reason: `BackoffLimitExceeded`, `DeadlineExceeded`, `Unschedulable`, ...
    public var reason: String?
    /// A human-readable explanation.
    public var message: String?
    /// When the condition last changed (RFC 3339).
    public var lastTransitionTime: String?

    /// Creates a condition.
    public init(
        type: String, status: String, reason: String? = nil, message: String? = nil,
        lastTransitionTime: String? = nil
    ) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }
}
