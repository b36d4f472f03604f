import Synchronization

/// Makes the test server misbehave on purpose, as real API servers and their load balancers do.
///
/// ```swift
/// server.faults.inject(.status(429, retryAfterSeconds: 1), matching: .init(method: .POST, pathContains: "/jobs"), times: 2)
/// server.faults.dropWatches()      // every open watch ends now; clients must re-watch
/// server.faults.dropLogStreams()   // every followed log ends now; the containers go on
/// server.faults.expireHistory()    // resuming a watch from an earlier resourceVersion gets 410 Gone
/// ```
public final class FaultInjector: Sendable {
    /// What an injected fault does to a matching request.
    public enum Fault: Sendable, Equatable {
        /// Answers with a `v1 Status` error of this HTTP code (429 gets reason `TooManyRequests`
        /// and a `Retry-After` header, 500 `InternalError`, 503 `ServiceUnavailable`, ...).
        case status(Int, retryAfterSeconds: Int? = nil, message: String? = nil)
        /// Waits before handling the request normally.
        case delay(Duration)
        /// Closes the connection without answering.
        case closeConnection
    }

    /// HTTP methods, for matching.
    public enum Method: String, Sendable {
        case GET, POST, PUT, PATCH, DELETE
    }

    /// Which requests a fault applies to; `nil` fields match anything.
    public struct RequestMatcher: Sendable {
        public var method: Method?
        /// A substring of the path, such as `/jobs` or `/namespaces/tyger/pods/x`.
        public var pathContains: String?
        /// Only watch requests (`true`), only non-watch requests (`false`), or both (`nil`).
        public var watch: Bool?

        public init(method: Method? = nil, pathContains: String? = nil, watch: Bool? = nil) {
            self.method = method
            self.pathContains = pathContains
            self.watch = watch
        }

        /// Every request.
        public static let any = RequestMatcher()

        func matches(method: String, path: String, isWatch: Bool) -> Bool {
            if let expected = self.method, expected.rawValue != method { return false }
            if let pathContains, !path.contains(pathContains) { return false }
            if let watch, watch != isWatch { return false }
            return true
        }
    }

    private struct Rule: Sendable {
        var fault: Fault
        var matcher: RequestMatcher
        var remaining: Int?
    }

    private let rules = Mutex<[Rule]>([])
    private let store: ObjectStore
    private let logs: PodLogs

    init(store: ObjectStore, logs: PodLogs) {
        self.store = store
        self.logs = logs
    }

    /// Applies `fault` to the next `times` matching requests (every one when `nil`).
    /// Rules are tried in the order they were added; each request gets at most one fault.
    public func inject(_ fault: Fault, matching matcher: RequestMatcher = .any, times: Int? = nil) {
        rules.withLock { $0.append(Rule(fault: fault, matcher: matcher, remaining: times)) }
    }

    /// Removes every injected fault.
    public func removeAll() {
        rules.withLock { $0.removeAll() }
    }

    /// How many more requests injected faults will affect; `nil` when a rule has no limit.
    public var pendingCount: Int? {
        rules.withLock { rules in
            var total = 0
            for rule in rules {
                guard let remaining = rule.remaining else { return nil }
                total += remaining
            }
            return total
        }
    }

    /// Ends every open watch stream now, as an API server restart or an idle timeout in a load
    /// balancer would. The streams end cleanly (the chunked response completes).
    public func dropWatches() {
        store.dropWatchers()
    }

    /// Ends every followed container log now, while the containers go on writing: clients
    /// that follow a log must ask again, from where they were, to miss nothing.
    public func dropLogStreams() {
        logs.dropFollowers()
    }

    /// Forgets the watch history, as etcd compaction does: resuming a watch from any
    /// resourceVersion handed out so far gets an `ERROR` event with a 410 `Expired` Status, and
    /// a `continue` token from before gets 410 too. Lists taken afterwards can be watched from.
    public func expireHistory() {
        store.expireHistory()
    }

    /// The fault for this request, consuming one use of its rule.
    func fault(method: String, path: String, isWatch: Bool) -> Fault? {
        rules.withLock { rules in
            guard let index = rules.firstIndex(where: { $0.matcher.matches(method: method, path: path, isWatch: isWatch) })
            else { return nil }
            let fault = rules[index].fault
            if let remaining = rules[index].remaining {
                if remaining <= 1 { rules.remove(at: index) } else { rules[index].remaining = remaining - 1 }
            }
            return fault
        }
    }
}

/// One request the server received, for tests that count API calls.
public struct RecordedRequest: Sendable, CustomStringConvertible {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
    public var method: String
    /// The path without the query, such as `/apis/batch/v1/namespaces/tyger/jobs`.
    public var path: String
    /// Query parameters (the first value of each).
    public var query: [String: String]
    /// The request's `Content-Type`, if any.
    public var contentType: String?
    /// Whether the request could change state: POST, PUT, PATCH or DELETE.
    public var isWrite: Bool { ["POST", "PUT", "PATCH", "DELETE"].contains(method) }
    /// Whether it was a watch.
    public var isWatch: Bool { query["watch"] == "true" || query["watch"] == "1" }
    /// The HTTP status code answered (200 for a watch that started streaming).
    public var statusCode: Int
    /// Whether an injected fault decided the answer.
    public var faulted: Bool

    public var description: String {
        let queryText = query.isEmpty ? "" : "?" + query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return "\(method) \(path)\(queryText) -> \(statusCode)\(faulted ? " (injected)" : "")"
    }
}

/// The server's request log.
final class RequestLog: Sendable {
    private let entries = Mutex<[RecordedRequest]>([])

    func append(_ request: RecordedRequest) {
        entries.withLock { $0.append(request) }
    }

    var all: [RecordedRequest] { entries.withLock { $0 } }

    func clear() {
        entries.withLock { $0.removeAll() }
    }
}
