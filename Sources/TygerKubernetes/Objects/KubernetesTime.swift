public import Foundation

/// Conversions for Kubernetes timestamps.
///
/// The object models keep every timestamp (`creationTimestamp`, `startTime`,
/// `finishedAt`, ...) as the `String` the API server sent, an RFC 3339 text such as
/// `2026-11-29T07:52:47Z` (`metav1.Time`, whole seconds) or `2026-11-29T07:52:47.123456Z`
/// (`metav1.MicroTime`). Strings decode with any `JSONDecoder` configuration and
/// round-trip unchanged; convert with these functions where a `Date` is needed:
///
/// ```swift
/// let started = KubernetesTime.date(from: job.status?.startTime)  // Date?
/// KubernetesTime.string(from: Date(timeIntervalSince1970: 0))     // "1970-01-01T00:00:00Z"
/// ```
public enum KubernetesTime {
    /// Parses an RFC 3339 timestamp, with or without fractional seconds; `nil` when absent
    /// or malformed.
    public static func date(from text: String?) -> Date? {
        guard let text else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Formats a date the way `metav1.Time` does: UTC, whole seconds, `Z` suffix.
    public static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
