public import TygerKit

/// Which part of a run a Kubernetes object or pod belongs to; the value of the
/// `<labelDomain>/role` label.
public enum RunRole: String, Sendable, Hashable, CaseIterable {
    /// The Job and its pods.
    case job
    /// The worker StatefulSet, its Service and its pods.
    case worker
}

extension KubernetesRenderOptions {
    /// The label whose value is the run ID: `tyger.dev/run`.
    public var runLabel: String { "\(labelDomain)/run" }
    /// The label whose value is the ``RunRole``: `tyger.dev/role`.
    public var roleLabel: String { "\(labelDomain)/role" }
    /// The label every object TygerKit creates carries, with the value `tyger`.
    public static let managedByLabel = "app.kubernetes.io/managed-by"

    /// The labels that select a run's pods of one role; the worker StatefulSet's and
    /// Service's selector.
    ///
    /// ```swift
    /// KubernetesRenderOptions().selectorLabels(runID: id, role: .worker)  // run 42
    /// // ["tyger.dev/run": "42", "tyger.dev/role": "worker"]
    /// ```
    public func selectorLabels(runID: RunID, role: RunRole) -> [String: String] {
        [runLabel: runID.description, roleLabel: role.rawValue]
    }

    /// The labels of a run's objects and pods of one role: the selector labels and
    /// `app.kubernetes.io/managed-by: tyger`.
    public func labels(runID: RunID, role: RunRole) -> [String: String] {
        selectorLabels(runID: runID, role: role).merging([Self.managedByLabel: "tyger"]) { current, _ in current }
    }

    /// A `labelSelector` query value for the API: `tyger.dev/run=42,tyger.dev/role=job`;
    /// without a role, every object of the run.
    public func labelSelector(runID: RunID, role: RunRole? = nil) -> String {
        var selector = "\(runLabel)=\(runID)"
        if let role { selector += ",\(roleLabel)=\(role.rawValue)" }
        return selector
    }
}
