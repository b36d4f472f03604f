import Foundation

/// One measured figure: what it is, the value it is judged by, and its target.
struct Figure: Sendable {
    /// What was measured, as printed in the table.
    var name: String
    /// The measurement itself, formatted for people (for example `412.3 ms (baseline 380.1 ms)`).
    var measured: String
    /// The target, formatted for people (for example `ratio ≤ 1.3`).
    var target: String
    /// The value the target is judged by, formatted (for example `1.08`).
    var judgedBy: String
    /// Whether the figure meets its target.
    var passes: Bool
}

/// Small statistics over samples; medians are used throughout so that one descheduled sample
/// on a shared machine does not decide a figure.
enum Statistics {
    static func median(_ samples: [Double]) -> Double {
        precondition(!samples.isEmpty, "median of no samples")
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }
}

extension Duration {
    /// The duration in milliseconds, as a `Double`.
    var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}

/// Formats milliseconds with a precision that suits their size.
func formatMilliseconds(_ value: Double) -> String {
    switch abs(value) {
    case ..<0.01: String(format: "%.4f ms", value)
    case ..<10: String(format: "%.3f ms", value)
    default: String(format: "%.1f ms", value)
    }
}
