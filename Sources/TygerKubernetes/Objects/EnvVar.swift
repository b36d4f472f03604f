/// An environment variable of a container (`EnvVar`): a literal value, or a value the
/// kubelet reads from the pod (`valueFrom.fieldRef`).
///
/// ```swift
/// EnvVar(name: "TYGER_RUN_ID", value: "42")
/// EnvVar(name: "POD_NAME", fieldPath: "metadata.name")
/// ```
public struct EnvVar: Sendable, Hashable, Codable {
    /// The variable name.
    public var name: String
    /// The value; `$(NAME)` refers to variables defined before this one.
    public var value: String?
    /// Where the value comes from, instead of `value`.
    public var valueFrom: Source?

    /// Creates a variable with a literal value.
    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }

    /// Creates a variable whose value is a field of the pod, such as
    /// `metadata.labels['apps.kubernetes.io/pod-index']`.
    public init(name: String, fieldPath: String) {
        self.name = name
        self.valueFrom = Source(fieldRef: FieldSelector(fieldPath: fieldPath))
    }

    /// Where a variable's value comes from (`EnvVarSource`); only pod fields are modelled.
    public struct Source: Sendable, Hashable, Codable {
        /// A field of the pod.
        public var fieldRef: FieldSelector?

        /// Creates a source.
        public init(fieldRef: FieldSelector? = nil) {
            self.fieldRef = fieldRef
        }
    }

    /// A field of the pod (`ObjectFieldSelector`).
    public struct FieldSelector: Sendable, Hashable, Codable {
        /// The schema version of `fieldPath`; `v1` when absent.
        public var apiVersion: String?
        /// The field: `metadata.name`, `metadata.labels['key']`, `status.podIP`, ...
        public var fieldPath: String

        /// Creates a field selector.
        public init(apiVersion: String? = nil, fieldPath: String) {
            self.apiVersion = apiVersion
            self.fieldPath = fieldPath
        }
    }
}
