/// How a Job treats pod failures (`PodFailurePolicy`): rules matched in order; the first
/// that matches decides.
///
/// ```swift
/// // Fail the Job at once when the main container exits non-zero.
/// PodFailurePolicy(rules: [
///     .init(action: "FailJob", onExitCodes: .init(containerName: "main", operator: "NotIn", values: [0]))
/// ])
/// ```
public struct PodFailurePolicy: Sendable, Hashable, Codable {
    /// The rules, in order.
    public var rules: [Rule]

    /// Creates a policy.
    public init(rules: [Rule]) {
        self.rules = rules
    }

    /// One rule (`PodFailurePolicyRule`): an action and what it matches.
    public struct Rule: Sendable, Hashable, Codable {
        /// `FailJob`, `FailIndex`, `Ignore` or `Count`.
        public var action: String
        /// Matches container exit codes.
        public var onExitCodes: ExitCodes?
        /// Matches pod conditions, such as `DisruptionTarget`.
        public var onPodConditions: [PodCondition]?

        /// Creates a rule.
        public init(action: String, onExitCodes: ExitCodes? = nil, onPodConditions: [PodCondition]? = nil) {
            self.action = action
            self.onExitCodes = onExitCodes
            self.onPodConditions = onPodConditions
        }
    }

    /// Matches exit codes (`PodFailurePolicyOnExitCodesRequirement`).
    public struct ExitCodes: Sendable, Hashable, Codable {
        /// The container whose exit code is checked; every container when absent.
        public var containerName: String?
        /// `In` or `NotIn`.
        public var `operator`: String
        /// The exit codes.
        public var values: [Int]

        /// Creates an exit-code requirement.
        public init(containerName: String? = nil, operator: String, values: [Int]) {
            self.containerName = containerName
            self.operator = `operator`
            self.values = values
        }
    }

    /// Matches a pod condition (`PodFailurePolicyOnPodConditionsPattern`).
    public struct PodCondition: Sendable, Hashable, Codable {
        /// The condition type.
        public var type: String
        /// The condition status; `True` when absent.
        public var status: String?

        /// Creates a pod-condition pattern.
        public init(type: String, status: String? = nil) {
            self.type = type
            self.status = status
        }
    }
}
