/// When and how often the client repeats a failed request.
///
/// Retried: 429 Too Many Requests (after its `Retry-After` seconds when given), 500, 502,
/// 503, 504, and failures to connect or to read the response. A request the server may have
/// carried out is repeated only when repeating it is safe: `GET`, `PUT`, `PATCH` and
/// `DELETE` always; `POST` only after 429 or 503, which the API server answers before it
/// does anything, and after failures to connect. Other 4xx answers are never retried.
///
/// ```swift
/// var policy = RetryPolicy()
/// policy.maximumAttempts = 3
/// policy.initialDelay = .milliseconds(100)
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// How many times a request is sent at most, the first time included; 1 disables retries.
    public var maximumAttempts: Int
    /// The delay before the first retry; it doubles with every further retry.
    public var initialDelay: Duration
    /// The longest delay between two attempts, before jitter.
    public var maximumDelay: Duration
    /// The fraction of each delay that is random (0 to 1), so clients that failed together
    /// do not retry together.
    public var jitter: Double
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    public var maximumRetryAfter: Duration

    /// Creates a policy; the defaults are 5 attempts, 200 ms doubling up to 10 s, half jitter.
    public init(
        maximumAttempts: Int = 5,
        initialDelay: Duration = .milliseconds(200),
        maximumDelay: Duration = .seconds(10),
        jitter: Double = 0.5,
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitter = min(max(jitter, 0), 1)
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The default policy.
    public static let `default` = RetryPolicy()
    /// Never retry.
    public static let none = RetryPolicy(maximumAttempts: 1)

    /// The delay before retry number `retry` (1 for the first retry), honouring the server's
    /// `Retry-After` when it gave one.
    public func delay(beforeRetry retry: Int, retryAfter: Duration? = nil) -> Duration {
        if let retryAfter {
            return min(retryAfter, maximumRetryAfter)
        }
        let exponent = min(max(retry - 1, 0), 30)
        let base = min(initialDelay * (1 << exponent), maximumDelay)
        let randomPart = base * jitter * Double.random(in: 0...1)
        return base * (1 - jitter) + randomPart
    }
}
