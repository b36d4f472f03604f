/// Lets a pod run on nodes with a matching taint (`Toleration`).
///
/// ```swift
/// Toleration(key: "tyger", operator: "Equal", value: "run", effect: "NoSchedule")
/// ```
public struct Toleration: Sendable, Hashable, Codable {
    /// The taint key; empty with `Exists` matches every taint.
    public var key: String?
    /// `Equal` (the default) or `Exists`.
    public var `operator`: String?
    /// The taint value, for `Equal`.
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches all.
    public var effect: String?
    /// For `NoExecute`: how long the pod stays bound after the taint appears.
    public var tolerationSeconds: Int?

    /// Creates a toleration.
    public init(
        key: String? = nil, operator: String? = nil, value: String? = nil, effect: String? = nil,
        tolerationSeconds: Int? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}
