import Foundation

/// Applies ``RunLogOptions`` to lines a backend reads from a file: `since` to every line,
/// `tail` to the lines already written, per process (as Kubernetes applies `tailLines` per
/// container), and the follow to what comes after.
struct LogSelection: Sendable {
    let options: RunLogOptions

    init(_ options: RunLogOptions) { self.options = options }

    /// Whether a line passes `since`.
    func admits(_ line: RunLogLine) -> Bool {
        options.since.map { line.timestamp > $0 } ?? true
    }

    /// The lines already written that the options select, in their order.
    func select(_ lines: [RunLogLine]) -> [RunLogLine] {
        let admitted = lines.filter(admits)
        guard let tail = options.tail else { return admitted }
        var remaining: [RunLogSource: Int] = [:]
        var kept: [RunLogLine] = []
        for line in admitted.reversed() {
            let left = remaining[line.source, default: tail]
            guard left > 0 else { continue }
            remaining[line.source] = left - 1
            kept.append(line)
        }
        return kept.reversed()
    }

    /// The selected `existing` lines, then every admitted line of `later`.
    func stream(
        existing: [RunLogLine], later: AsyncThrowingStream<RunLogLine, any Error>?
    ) -> AsyncThrowingStream<RunLogLine, any Error> {
        .concatenating(select(existing), then: later, where: admits)
    }
}

extension AsyncThrowingStream where Failure == any Error, Element: Sendable {
    /// `existing`, then the elements of `later` that `admits` accepts, until it ends.
    static func concatenating(
        _ existing: [Element], then later: AsyncThrowingStream<Element, any Error>?,
        where admits: @escaping @Sendable (Element) -> Bool = { _ in true }
    ) -> AsyncThrowingStream<Element, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                for element in existing { continuation.yield(element) }
                do {
                    if let later {
                        for try await element in later where admits(element) { continuation.yield(element) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
