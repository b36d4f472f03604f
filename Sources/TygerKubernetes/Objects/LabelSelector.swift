/// Selects objects by labels (`metav1.LabelSelector`); only `matchLabels` is modelled.
public struct LabelSelector: Sendable, Hashable, Codable {
    /// Labels an object must all carry, with these exact values.
    public var matchLabels: [String: String]?

    /// Creates a selector.
    public init(matchLabels: [String: String]? = nil) {
        self.matchLabels = matchLabels
    }
}
