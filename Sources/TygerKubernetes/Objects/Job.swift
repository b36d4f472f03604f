/// A `batch/v1` Job: pods that run to completion. A run's job codespec becomes one.
///
/// Timestamps in ``Status`` are RFC 3339 strings; see ``KubernetesTime``.
public struct Job: KubernetesObject {
    public static let objectAPIVersion = "batch/v1"
    public static let objectKind = "Job"
    public static let resource = "jobs"

    /// Always `batch/v1` when created here.
    public var apiVersion: String
    /// Always `Job` when created here.
    public var kind: String
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: Spec?
    /// The observed state, written by the Job controller.
    public var status: Status?

    /// Creates a Job.
    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.apiVersion = Self.objectAPIVersion
        self.kind = Self.objectKind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// A Job's desired state (`JobSpec`).
    public struct Spec: Sendable, Hashable, Codable {
        /// How many pods run at once.
        public var parallelism: Int?
        /// How many pods must succeed.
        public var completions: Int?
        /// `NonIndexed` (the default) or `Indexed`: each pod gets an index 0..<completions.
        public var completionMode: String?
        /// How many pod failures are retried before the Job fails.
        public var backoffLimit: Int?
        /// Seconds from the Job's start after which its pods are stopped and it fails.
        public var activeDeadlineSeconds: Int?
        /// Seconds after the Job finishes before it (and what it owns) is deleted.
        public var ttlSecondsAfterFinished: Int?
        /// The pods to run.
        public var template: PodTemplateSpec
        /// Rules that fail the Job (or ignore failures) by exit code or pod condition.
        public var podFailurePolicy: PodFailurePolicy?

        /// Creates a Job spec.
        public init(
            parallelism: Int? = nil,
            completions: Int? = nil,
            completionMode: String? = nil,
            backoffLimit: Int? = nil,
            activeDeadlineSeconds: Int? = nil,
            ttlSecondsAfterFinished: Int? = nil,
            template: PodTemplateSpec,
            podFailurePolicy: PodFailurePolicy? = nil
        ) {
            self.parallelism = parallelism
            self.completions = completions
            self.completionMode = completionMode
            self.backoffLimit = backoffLimit
            self.activeDeadlineSeconds = activeDeadlineSeconds
            self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
            self.template = template
            self.podFailurePolicy = podFailurePolicy
        }
    }

    /// A Job's observed state (`JobStatus`).
    public struct Status: Sendable, Hashable, Codable {
        /// Pods running (or pending).
        public var active: Int?
        /// Pods that succeeded.
        public var succeeded: Int?
        /// Pods that failed.
        public var failed: Int?
        /// Active pods that are ready.
        public var ready: Int?
        /// When the controller started the Job (RFC 3339).
        public var startTime: String?
        /// When the Job completed successfully (RFC 3339).
        public var completionTime: String?
        /// For Indexed Jobs: the indexes that succeeded, such as `0-2,5`.
        public var completedIndexes: String?
        /// `Complete`, `Failed`, `Suspended`, `FailureTarget`, `SuccessCriteriaMet`, ...
        public var conditions: [Condition]?

        /// Creates a Job status.
        public init(
            active: Int? = nil,
            succeeded: Int? = nil,
            failed: Int? = nil,
            ready: Int? = nil,
            startTime: String? = nil,
            completionTime: String? = nil,
            completedIndexes: String? = nil,
            conditions: [Condition]? = nil
        ) {
            self.active = active
            self.succeeded = succeeded
            self.failed = failed
            self.ready = ready
            self.startTime = startTime
            self.completionTime = completionTime
            self.completedIndexes = completedIndexes
            self.conditions = conditions
        }

        /// The condition of the given type whose status is `True`, if any.
        ///
        /// ```swift
        /// if let failed = job.status?.condition("Failed") { print(failed.reason ?? "") }
        /// ```
        public func condition(_ type: String) -> Condition? {
            conditions?.first { $0.type == type && $0.status == "True" }
        }
    }

    /// A condition of a Job (`JobCondition`): `Complete`, `Failed`, `SuccessCriteriaMet`, ...
    public typealias Condition = ObjectCondition

    enum CodingKeys: String, CodingKey {
        case apiVersion, kind, metadata, spec, status
    }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeMetaKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try type.typeMeta(.apiVersion, default: Self.objectAPIVersion)
        kind = try type.typeMeta(.kind, default: Self.objectKind)
        metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: .metadata) ?? ObjectMeta()
        spec = try container.decodeIfPresent(Spec.self, forKey: .spec)
        status = try container.decodeIfPresent(Status.self, forKey: .status)
    }
}
