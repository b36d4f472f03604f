import Foundation
import Logging
import Synchronization
import TygerKit
import TygerKubernetes

/// A config map as the tests' object model: the client is generic, any Codable works.
struct TestConfigMap: Codable, Sendable, Equatable {
    struct Metadata: Codable, Sendable, Equatable {
        var name: String
        var namespace: String?
        var resourceVersion: String?
        var labels: [String: String]?
    }

    var apiVersion: String? = "v1"
    var kind: String? = "ConfigMap"
    var metadata: Metadata
    var data: [String: String]?
}

/// A model with a required field that a watch bookmark's object does not have.
struct TestPod: Codable, Sendable, Equatable {
    struct Metadata: Codable, Sendable, Equatable {
        var name: String
        var resourceVersion: String?
    }
    struct Spec: Codable, Sendable, Equatable {
        var nodeName: String?
    }

    var metadata: Metadata
    var spec: Spec
}

/// Fast retries, so that retry tests take milliseconds.
let fastRetries = RetryPolicy(maximumAttempts: 5, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(5))

/// A token no real system would print by accident, to look for in every output.
let distinctiveToken = "tyger-SECRET-token-7f3a9c1e-do-not-print"

/// Keeps every log message and its metadata, to check that none carries a secret.
final class CapturedLogs: Sendable {
    private let entries = Mutex<[String]>([])

    var all: [String] { entries.withLock { $0 } }

    func append(_ line: String) {
        entries.withLock { $0.append(line) }
    }

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "test.kubernetes") { _ in CapturingLogHandler(logs: self) }
        logger.logLevel = level
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        logs.append("\(event.level) \(event.message) \(merged)")
    }
}

/// A URL from a literal the test wrote.
func testURL(_ text: String) throws -> URL {
    guard let url = URL(string: text) else { throw URLError(.badURL) }
    return url
}

/// A client for the scripted server at `port`, with fast retries unless told otherwise.
func makeClient(
    port: Int,
    credentials: KubernetesCredentials = .token(distinctiveToken),
    namespace: String = "tyger",
    retryPolicy: RetryPolicy = fastRetries,
    logger: Logger? = nil,
    observer: (@Sendable (KubernetesClient.RequestRecord) -> Void)? = nil
) throws -> KubernetesClient {
    let configuration = KubernetesConfiguration(
        server: try testURL("http://127.0.0.1:\(port)"), namespace: namespace, credentials: credentials)
    return try KubernetesClient(
        configuration: configuration,
        options: .init(
            retryPolicy: retryPolicy, connectTimeout: .seconds(5), readTimeout: .seconds(10), requestObserver: observer),
        logger: logger ?? Logger(label: "test.kubernetes")
    )
}

/// Runs `body` with a started scripted server and a client of it, and stops both.
func withScriptedServer<Result>(
    credentials: KubernetesCredentials = .token(distinctiveToken),
    retryPolicy: RetryPolicy = fastRetries,
    logger: Logger? = nil,
    _ body: (ScriptedHTTPServer, KubernetesClient) async throws -> Result
) async throws -> Result {
    let server = ScriptedHTTPServer()
    let port = try await server.start()
    let client = try makeClient(port: port, credentials: credentials, retryPolicy: retryPolicy, logger: logger)
    do {
        let result = try await body(server, client)
        try await client.shutdown()
        await server.stop()
        return result
    } catch {
        try? await client.shutdown()
        await server.stop()
        throw error
    }
}

/// The Kubernetes API error in a thrown error, through its `TygerError`.
func apiError(_ error: any Error) -> KubernetesAPIError? {
    KubernetesAPIError.from(error)
}
