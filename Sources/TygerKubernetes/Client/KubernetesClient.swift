import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
public import TygerKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A client of the Kubernetes REST API, generic over `Codable` object models.
///
/// It speaks JSON over HTTPS (HTTP/2 when the server offers it) with the cluster's CA, a
/// client certificate and/or a bearer token, retries what is safe to retry
/// (see ``RetryPolicy``), and counts its requests (``metrics``).
///
/// Its lifetime is scoped: use ``withKubernetesClient(configuration:options:logger:isolation:_:)``,
/// or call ``shutdown()`` when done.
///
/// ```swift
/// try await withKubernetesClient(configuration: .automatic()) { client in
///     let jobs: ObjectList<Job> = try await client.list(.jobs, labelSelector: "tyger-run=42")
///     for try await event in client.watch(.jobs, resourceVersion: jobs.metadata.resourceVersion, as: Job.self) {
///         print(event.type, event.object?.metadata.name ?? "")
///     }
/// }
/// ```
///
/// Errors are ``TygerError``s with code `.backend`; an error answer of the API server is
/// their `underlying` ``KubernetesAPIError``. Cancelling the calling task throws
/// `CancellationError`.
public final class KubernetesClient: Sendable {
    /// Timeouts, retries and observation.
    public struct Options: Sendable {
        /// How failed requests are repeated.
        public var retryPolicy: RetryPolicy
        /// How long establishing a connection (TCP and TLS) may take.
        public var connectTimeout: Duration
        /// How long a request other than a watch or followed log may wait for the next bytes
        /// of its response. Watches have none: their `timeoutSeconds` ends them on the server.
        public var readTimeout: Duration
        /// The largest response body read for a single call; larger ones fail.
        public var maximumResponseBytes: Int
        /// Called after every HTTP attempt, retries included; it must return quickly.
        public var requestObserver: (@Sendable (RequestRecord) -> Void)?

        /// Creates options; the defaults are a 10 s connect timeout and a 60 s read timeout.
        public init(
            retryPolicy: RetryPolicy = .default,
            connectTimeout: Duration = .seconds(10),
            readTimeout: Duration = .seconds(60),
            maximumResponseBytes: Int = 256 * 1024 * 1024,
            requestObserver: (@Sendable (RequestRecord) -> Void)? = nil
        ) {
            self.retryPolicy = retryPolicy
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.maximumResponseBytes = maximumResponseBytes
            self.requestObserver = requestObserver
        }
    }

    /// One HTTP attempt, as reported to ``Options/requestObserver``.
    public struct RequestRecord: Sendable, Hashable {
        /// What the call was: `get`, `list`, `create`, `replace`, `patch`, `delete`, `watch`, `logs`.
        public var verb: String
        /// The HTTP method.
        public var method: String
        /// The request path, without the query.
        public var path: String
        /// The HTTP status code, when a response came.
        public var statusCode: Int?
        /// 1 for the first attempt, 2 for the first retry...
        public var attempt: Int
        /// Whether the client will try again.
        public var willRetry: Bool
        /// Why the attempt failed without a response, when it did.
        public var failure: String?
        /// From sending the request to its response head.
        public var duration: Duration
    }

    /// Counts of what the client sent; read them with ``metrics``.
    public struct Metrics: Sendable, Hashable {
        /// HTTP requests sent, retries included.
        public var requests = 0
        /// Of those, the ones that repeated an earlier attempt.
        public var retries = 0
        /// Calls that finally failed (error answer or no answer), after any retries.
        public var failures = 0
        /// HTTP requests per verb (`get`, `list`, `watch`...), retries included.
        public var requestsByVerb: [String: Int] = [:]

        /// Creates empty metrics.
        public init() {}

        mutating func count(verb: String, attempt: Int) {
            requests += 1
            if attempt > 1 { retries += 1 }
            requestsByVerb[verb, default: 0] += 1
        }
    }

    /// Counts the requests of one piece of work (a run, say) while the client serves many.
    ///
    /// Requests are counted by the task that makes them, and by its child tasks and the tasks
    /// it starts (watches and logs included), while the counter is bound:
    ///
    /// ```swift
    /// let counter = KubernetesClient.RequestCounter()
    /// try await KubernetesClient.$requestCounter.withValue(counter) {
    ///     try await startRun(run, with: client)
    /// }
    /// print(counter.metrics.requests)
    /// ```
    public final class RequestCounter: Sendable {
        fileprivate let state = Mutex(Metrics())

        /// Creates a counter at zero.
        public init() {}

        /// What was counted so far.
        public var metrics: Metrics { state.withLock { $0 } }
    }

    /// The counter that requests of the current task are also added to.
    @TaskLocal public static var requestCounter: RequestCounter?

    /// The configuration the client was created with.
    public let configuration: KubernetesConfiguration
    /// The options the client was created with.
    public let options: Options

    /// For calls with a read timeout.
    let httpClient: HTTPClient
    /// For watches and followed logs, which may be silent for minutes.
    let streamingClient: HTTPClient
    let logger: Logger
    let tokenProvider: BearerTokenProvider
    /// The URL prefix of every request: the server, with the TLS server name as its host
    /// when one is configured (the connection goes to the real host through `dnsOverride`).
    let baseURL: String
    private let metricsState = Mutex(Metrics())
    private let isShutDown = Mutex(false)

    /// Creates a client. Call ``shutdown()`` when done, or use
    /// ``withKubernetesClient(configuration:options:logger:isolation:_:)``.
    ///
    /// - Throws: ``TygerError`` (`.backend`) when the CA, client certificate or key cannot be
    ///   used, when both a CA and `insecureSkipTLSVerify` are set, when the server URL holds
    ///   a user name or password, or when it is plain `http://` on another machine.
    public init(
        configuration: KubernetesConfiguration,
        options: Options = Options(),
        logger: Logger = Logger(label: "tyger.kubernetes.client")
    ) throws(TygerError) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        self.tokenProvider = BearerTokenProvider(configuration.credentials.bearerToken)

        // A user name or password in the URL would be sent as basic authentication and shown
        // wherever the URL is printed; the URL is not quoted here for the same reason.
        guard configuration.server.user == nil, configuration.server.password == nil else {
            throw TygerError(
                .backend,
                "The Kubernetes server URL of \(configuration.source) contains a user name or password, which is not supported; put credentials in the token, tokenFile or client certificate instead"
            )
        }
        guard let scheme = configuration.server.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = configuration.server.host, !host.isEmpty
        else {
            throw TygerError(
                .backend,
                "The Kubernetes server URL \(configuration.server.absoluteString) is not an https:// or http:// URL")
        }
        // Plain http:// is TLS turned off: allowed only where no network is crossed.
        guard scheme == "https" || LoopbackHost.contains(host) else {
            throw TygerError(
                .backend,
                "The Kubernetes server of \(configuration.source) is http://\(host), which would send the token and every run unencrypted over the network; use https://, or http:// only on this machine (localhost, 127.0.0.1 or ::1, as with kubectl proxy)"
            )
        }
        let tls = try TLSMaterial.clientConfiguration(for: configuration)

        var serverText = configuration.server.absoluteString
        while serverText.hasSuffix("/") { serverText.removeLast() }
        var dnsOverride: [String: String] = [:]
        if scheme == "https", let tlsServerName = configuration.tlsServerName, !tlsServerName.isEmpty,
            var components = URLComponents(string: serverText)
        {
            // AsyncHTTPClient verifies the certificate against, and sends as SNI, the host of
            // the URL; dnsOverride connects that name to the real address instead.
            let realHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            components.host = tlsServerName
            if let url = components.string {
                serverText = url
                dnsOverride[tlsServerName] = realHost
            }
        }
        self.baseURL = serverText

        func makeClient(readTimeout: Duration?) -> HTTPClient {
            var httpConfiguration = HTTPClient.Configuration(
                tlsConfiguration: tls,
                // A redirect could carry the bearer token to another host; the API server never redirects.
                redirectConfiguration: .disallow,
                timeout: .init(connect: options.connectTimeout.timeAmount, read: readTimeout?.timeAmount),
                decompression: .disabled
            )
            httpConfiguration.dnsOverride = dnsOverride
            // Fail at once when a connection cannot be made, so our retry policy (not the
            // pool's, which waits out the whole connect timeout) decides what happens next.
            httpConfiguration.connectionPool.retryConnectionEstablishment = false
            // Over HTTP/1 each open watch holds a connection; the default of 8 would queue
            // further requests behind long-running watches.
            httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = readTimeout == nil ? 256 : 16
            return HTTPClient(
                eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                configuration: httpConfiguration,
                backgroundActivityLogger: logger
            )
        }
        self.httpClient = makeClient(readTimeout: options.readTimeout)
        self.streamingClient = makeClient(readTimeout: nil)
    }

    deinit {
        // HTTPClient traps in debug builds when released while running; shut it down in the
        // background so a forgotten shutdown() leaks nothing and crashes nothing.
        if !isShutDown.withLock({ $0 }) {
            _ = httpClient.shutdown()
            _ = streamingClient.shutdown()
        }
    }

    /// Closes all connections. Requests in flight fail; the client cannot be used afterwards.
    public func shutdown() async throws {
        let alreadyShutDown = isShutDown.withLock { state in
            defer { state = true }
            return state
        }
        guard !alreadyShutDown else { return }
        var firstError: (any Error)?
        do { try await streamingClient.shutdown() } catch { firstError = error }
        do { try await httpClient.shutdown() } catch { firstError = firstError ?? error }
        if let firstError { throw firstError }
    }

    /// What the client has sent so far.
    public var metrics: Metrics {
        metricsState.withLock { $0 }
    }

    /// The namespace a call uses: the one given, else the configuration's.
    func resolvedNamespace(_ namespace: String?, for resource: KubernetesResource) -> String? {
        resource.namespaced ? (namespace ?? configuration.namespace) : nil
    }

    // MARK: Sending

    /// One API call: method, path, query, body.
    struct Call: Sendable {
        var verb: String
        var method: HTTPMethod
        var path: String
        var query: [(String, String)] = []
        var body: Data?
        var contentType: String?
        var accept = "application/json"

        var url: String {
            guard !query.isEmpty else { return path }
            let text = query.map {
                "\(KubernetesResource.escapeQueryValue($0.0))=\(KubernetesResource.escapeQueryValue($0.1))"
            }.joined(separator: "&")
            return "\(path)?\(text)"
        }

        /// Whether repeating the call after the server may have acted on it is harmless.
        var isIdempotent: Bool { method != .POST }
    }

    /// Sends a call that has a bounded answer and reads the whole body, retrying by policy
    /// (a body cut off midway is retried like a failed connection).
    func perform(_ call: Call) async throws -> (status: HTTPResponseStatus, body: ByteBuffer) {
        try await withRetries(call, client: httpClient) { response in
            try await response.body.collect(upTo: self.options.maximumResponseBytes)
        }
    }

    /// Sends a call whose answer is a stream (watch, logs) and returns once the response
    /// head is a success; only reaching that point is retried.
    func open(_ call: Call, streaming: Bool) async throws -> HTTPClientResponse {
        let (_, response) = try await withRetries(call, client: streaming ? streamingClient : httpClient) { response in
            response
        }
        return response
    }

    /// Why and when to go again after a failed attempt.
    private struct RetryDecision {
        var retryAfter: Duration?
        var status: Int?
        var failure: String?
    }

    private func withRetries<Result: Sendable>(
        _ call: Call,
        client: HTTPClient,
        onSuccess: @Sendable (HTTPClientResponse) async throws -> Result
    ) async throws -> (HTTPResponseStatus, Result) {
        let policy = options.retryPolicy
        var attempt = 0
        var reloadedTokenAfter401 = false
        while true {
            attempt += 1
            try Task.checkCancellation()
            let request = try makeRequest(call, forceTokenReload: reloadedTokenAfter401 && attempt > 1)
            let started = ContinuousClock.now
            let canRetry = attempt < policy.maximumAttempts
            let decision: RetryDecision
            do {
                let response = try await client.execute(request, deadline: .distantFuture, logger: logger)
                let elapsed = ContinuousClock.now - started
                let code = Int(response.status.code)
                if (200..<300).contains(code) {
                    do {
                        let result = try await onSuccess(response)
                        record(call, attempt: attempt, status: code, willRetry: false, failure: nil, duration: elapsed)
                        return (response.status, result)
                    } catch let error where Self.isCancellation(error) {
                        throw CancellationError()
                    } catch {
                        // The body broke off: the server acted, so only idempotent calls go again.
                        let retry = canRetry && call.isIdempotent && Self.transportRetryClass(error) != .never
                        record(
                            call, attempt: attempt, status: code, willRetry: retry, failure: Self.describe(error),
                            duration: elapsed)
                        guard retry else {
                            countFailure()
                            throw transportError(call, error)
                        }
                        decision = RetryDecision(retryAfter: nil, status: code, failure: Self.describe(error))
                    }
                } else {
                    let body = try? await response.body.collect(upTo: 1024 * 1024)
                    let apiError = Self.apiError(call, status: response.status, headers: response.headers, body: body)
                    var retry = canRetry && Self.isRetryable(status: code, method: call.method)
                    if code == 401, tokenProvider.isFileBacked, !reloadedTokenAfter401, attempt < policy.maximumAttempts
                    {
                        // A rotated token file may not have changed its stat data; read it once more.
                        reloadedTokenAfter401 = true
                        retry = true
                    }
                    record(call, attempt: attempt, status: code, willRetry: retry, failure: nil, duration: elapsed)
                    guard retry else {
                        countFailure()
                        throw apiError.tygerError
                    }
                    decision = RetryDecision(
                        retryAfter: code == 401 ? .zero : Self.retryAfter(response.headers, status: apiError.status),
                        status: code, failure: nil)
                }
            } catch let error as TygerError {
                throw error
            } catch let error where Self.isCancellation(error) {
                throw CancellationError()
            } catch {
                let elapsed = ContinuousClock.now - started
                let retryClass = Self.transportRetryClass(error)
                let retry =
                    canRetry && (retryClass == .always || (retryClass == .idempotentOnly && call.isIdempotent))
                record(
                    call, attempt: attempt, status: nil, willRetry: retry, failure: Self.describe(error),
                    duration: elapsed)
                guard retry else {
                    countFailure()
                    throw transportError(call, error)
                }
                decision = RetryDecision(retryAfter: nil, status: nil, failure: Self.describe(error))
            }

            let delay = policy.delay(beforeRetry: attempt, retryAfter: decision.retryAfter)
            logger.debug(
                "Retrying Kubernetes API request",
                metadata: [
                    "kubernetes.method": "\(call.method.rawValue)",
                    "kubernetes.path": "\(call.path)",
                    "kubernetes.attempt": "\(attempt)",
                    "kubernetes.status": "\(decision.status.map(String.init) ?? "none")",
                    "kubernetes.failure": "\(decision.failure ?? "")",
                    "kubernetes.delay": "\(delay)",
                ]
            )
            try await Task.sleep(for: delay)
        }
    }

    private func makeRequest(_ call: Call, forceTokenReload: Bool) throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + call.url)
        request.method = call.method
        request.headers.add(name: "Accept", value: call.accept)
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        if let token = try tokenProvider.token(forceReload: forceTokenReload) {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body = call.body {
            request.headers.add(name: "Content-Type", value: call.contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    // MARK: Bookkeeping

    private func record(
        _ call: Call, attempt: Int, status: Int?, willRetry: Bool, failure: String?, duration: Duration
    ) {
        metricsState.withLock { $0.count(verb: call.verb, attempt: attempt) }
        Self.requestCounter?.state.withLock { $0.count(verb: call.verb, attempt: attempt) }
        logger.trace(
            "Kubernetes API request",
            metadata: [
                "kubernetes.method": "\(call.method.rawValue)",
                "kubernetes.path": "\(call.path)",
                "kubernetes.status": "\(status.map(String.init) ?? "none")",
                "kubernetes.attempt": "\(attempt)",
            ]
        )
        options.requestObserver?(
            RequestRecord(
                verb: call.verb, method: call.method.rawValue, path: call.path, statusCode: status, attempt: attempt,
                willRetry: willRetry, failure: failure, duration: duration))
    }

    func countFailure() {
        metricsState.withLock { $0.failures += 1 }
        Self.requestCounter?.state.withLock { $0.failures += 1 }
    }

    // MARK: Classifying answers and failures

    /// Kubernetes answers 429 and 503 before acting (rate limiting, overload, API priority
    /// and fairness), so even a POST can go again; after 500, 502 and 504 the server may have
    /// acted, so only idempotent calls do.
    static func isRetryable(status: Int, method: HTTPMethod) -> Bool {
        switch status {
        case 429, 503: true
        case 500, 502, 504: method != .POST
        default: false
        }
    }

    enum TransportRetryClass { case always, idempotentOnly, never }

    /// Failures before the request was sent can always be retried; failures after it only for
    /// idempotent calls; TLS and configuration failures never (they fail the same again).
    static func transportRetryClass(_ error: any Error) -> TransportRetryClass {
        // TLS failures repeat identically; an oversized body would be oversized again.
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError || error is NIOTooManyBytesError
        {
            return .never
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return .always
            case .readTimeout, .writeTimeout, .remoteConnectionClosed, .uncleanShutdown, .tlsHandshakeTimeout,
                .deadlineExceeded:
                return .idempotentOnly
            default:
                return .never
            }
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return .always
            case .ioOnClosedChannel, .outputClosed, .eof, .alreadyClosed: return .idempotentOnly
            default: return .never
            }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL: return .always
            default: return .idempotentOnly
            }
        }
        // NIOPosix's NIOConnectionError (every address refused or unreachable) and DNS
        // failures happen before anything was sent. Matched by name: NIOPosix is not a
        // dependency of this module.
        let typeName = String(describing: type(of: error))
        if typeName.contains("NIOConnectionError") || typeName.contains("SocketAddressError") {
            return .always
        }
        return .idempotentOnly
    }

    static func isCancellation(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if let error = error as? HTTPClientError, error == .cancelled { return true }
        return false
    }

    /// The server's `Retry-After` (seconds) or the Status' `retryAfterSeconds`.
    static func retryAfter(_ headers: HTTPHeaders, status: KubernetesStatus?) -> Duration? {
        if let text = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces),
            let seconds = Int(text), seconds >= 0
        {
            return .seconds(seconds)
        }
        if let seconds = status?.details?.retryAfterSeconds, seconds >= 0 {
            return .seconds(seconds)
        }
        return nil
    }

    /// The API error of a non-2xx answer: from its `Status` body when it has one.
    static func apiError(_ call: Call, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer?)
        -> KubernetesAPIError
    {
        let code = Int(status.code)
        let bytes = body.map { Data($0.readableBytesView) } ?? Data()
        if let decoded = try? JSONDecoder().decode(KubernetesStatus.self, from: bytes),
            decoded.kind == "Status" || decoded.code != nil || decoded.reason != nil
        {
            return KubernetesAPIError(
                statusCode: code, reason: decoded.reason, message: decoded.message ?? status.reasonPhrase,
                status: decoded, method: call.method.rawValue, path: call.path)
        }
        // Not a Status (a proxy's page, say): keep a bounded start of it.
        var text = String(decoding: bytes.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { text = status.reasonPhrase }
        return KubernetesAPIError(statusCode: code, message: text, method: call.method.rawValue, path: call.path)
    }

    func transportError(_ call: Call, _ error: any Error) -> TygerError {
        let what: String
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            what =
                "the TLS handshake failed (check the certificate authority, the client certificate and tls-server-name)"
        } else {
            what = Self.describe(error)
        }
        return TygerError(
            .backend,
            "Could not complete \(call.method.rawValue) \(call.path) with the Kubernetes API server \(configuration.server.absoluteString): \(what)",
            underlying: error
        )
    }

    /// A short reason for a transport failure: NIO's own descriptions are made for its developers.
    static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connecting timed out"
            case .readTimeout: return "no answer within the read timeout"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .tlsHandshakeTimeout: return "the TLS handshake timed out"
            default: return String(describing: error)
            }
        }
        return String(describing: error)
    }
}

extension KubernetesClient: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "KubernetesClient(\(configuration))" }

    public var debugDescription: String { description }

    /// The configuration (whose own description is redacted) and the metrics only: the token
    /// provider and the HTTP clients' TLS settings hold the token and the client key, and
    /// `dump` would otherwise print them.
    public var customMirror: Mirror {
        Mirror(self, children: ["configuration": configuration, "metrics": metrics], displayStyle: .class)
    }
}

/// Runs `body` with a client and shuts the client down afterwards, whether `body` returns or throws.
public func withKubernetesClient<Result>(
    configuration: KubernetesConfiguration,
    options: KubernetesClient.Options = KubernetesClient.Options(),
    logger: Logger = Logger(label: "tyger.kubernetes.client"),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (KubernetesClient) async throws -> Result
) async throws -> Result {
    let client = try KubernetesClient(configuration: configuration, options: options, logger: logger)
    let result: Result
    do {
        result = try await body(client)
    } catch {
        try? await client.shutdown()
        throw error
    }
    try await client.shutdown()
    return result
}

extension Duration {
    /// The same amount as a NIO `TimeAmount`.
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
