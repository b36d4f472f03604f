import AsyncHTTPClient
package import Foundation
package import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization
package import TygerKit

/// Speaks the Docker Engine API (1.41) over a unix socket: the calls the container backend
/// makes, each answered or turned into a ``TygerError`` that names the call and the engine's
/// own message.
package final class EngineClient: Sendable {
    /// The API version every call asks for: Docker Engine 20.10 and Podman 4 answer it.
    static let apiVersion = "v1.41"

    let socket: EngineSocket
    private let http: HTTPClient
    private let isShutDown = Mutex(false)
    /// AsyncHTTPClient's own messages (a line per request) only at trace level.
    private let httpLogger: Logger
    private let base: String
    private let logger: Logger

    package init(socket: EngineSocket, logger: Logger) {
        self.socket = socket
        self.logger = logger
        httpLogger = logger.logLevel <= .trace ? logger : Logger(label: logger.label, factory: { _ in SwiftLogNoOpLogHandler() })
        let host = socket.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket.path
        base = "http+unix://\(host)/\(Self.apiVersion)"
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: nil), decompression: .disabled)
        // Each followed log and each wait holds a connection for as long as its container runs.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    deinit {
        // HTTPClient traps when released while running; a client dropped on an error path is
        // shut down in the background instead.
        if !isShutDown.withLock({ $0 }) { http.shutdown { _ in } }
    }

    /// Closes every connection; calls in flight fail.
    package func shutdown() async {
        guard !isShutDown.withLock({ state in defer { state = true }; return state }) else { return }
        try? await http.shutdown()
    }

    // MARK: - Engine

    func version() async throws(TygerError) -> EngineVersion {
        try await decode(EngineVersion.self, from: call(.GET, "/version"))
    }

    // MARK: - Networks

    func createNetwork(_ body: NetworkCreate) async throws(TygerError) -> String {
        try await decode(CreatedObject.self, from: call(.POST, "/networks/create", json: body)).Id
    }

    func removeNetwork(_ id: String) async throws(TygerError) {
        _ = try await call(.DELETE, "/networks/\(id)", accepting: [404])
    }

    func networks(labeled labels: [String]) async throws(TygerError) -> [NetworkSummary] {
        try await decode([NetworkSummary].self, from: call(.GET, "/networks", query: [("filters", Self.labelFilter(labels))]))
    }

    /// The containers and networks that carry all of `labels`, by name.
    func objects(labeled labels: [String]) async throws(TygerError) -> [String] {
        let containers = try await containers(labeled: labels)
        let networks = try await networks(labeled: labels)
        return containers.map { "container \($0.Names?.first ?? $0.Id)" } + networks.map { "network \($0.Name)" }
    }

    // MARK: - Containers

    func createContainer(named name: String, _ body: ContainerCreate) async throws(TygerError) -> String {
        try await decode(CreatedObject.self, from: call(.POST, "/containers/create", query: [("name", name)], json: body)).Id
    }

    func startContainer(_ id: String) async throws(TygerError) {
        _ = try await call(.POST, "/containers/\(id)/start", accepting: [304])
    }

    /// Waits until the container is not running and returns its exit code.
    func waitContainer(_ id: String) async throws(TygerError) -> Int {
        let answer = try await decode(WaitResponse.self, from: call(.POST, "/containers/\(id)/wait"))
        if let message = answer.Error?.Message, !message.isEmpty {
            throw TygerError(.backend, "waiting for container \(id.prefix(12)) failed: \(message)")
        }
        return answer.StatusCode
    }

    func inspectContainer(_ id: String) async throws(TygerError) -> ContainerInspect {
        try await decode(ContainerInspect.self, from: call(.GET, "/containers/\(id)/json"))
    }

    /// Stops the container: SIGTERM, then SIGKILL after `timeout` seconds. A container that
    /// is not running or is gone is fine.
    func stopContainer(_ id: String, timeout: Int) async throws(TygerError) {
        _ = try await call(.POST, "/containers/\(id)/stop", query: [("t", "\(timeout)")], accepting: [304, 404])
    }

    /// Removes the container, killing it first if it still runs; a container already gone is fine.
    func removeContainer(_ id: String) async throws(TygerError) {
        _ = try await call(.DELETE, "/containers/\(id)", query: [("force", "1"), ("v", "1")], accepting: [404])
    }

    /// Every container, running or not, that carries all of `labels` (`key=value` or `key`).
    func containers(labeled labels: [String]) async throws(TygerError) -> [ContainerSummary] {
        try await decode(
            [ContainerSummary].self,
            from: call(.GET, "/containers/json", query: [("all", "1"), ("filters", Self.labelFilter(labels))]))
    }

    /// The container's output from its start, stdout and stderr multiplexed as the engine
    /// frames them, each line prefixed with its time; with `follow`, until the container stops.
    func logs(_ id: String, follow: Bool) async throws(TygerError) -> HTTPClientResponse.Body {
        let query = [("stdout", "1"), ("stderr", "1"), ("timestamps", "1"), ("follow", follow ? "1" : "0")]
        return try await open(.GET, "/containers/\(id)/logs", query: query).body
    }

    // MARK: - Images

    /// Whether the engine has image `name` (`repository:tag`).
    func hasImage(_ name: String) async throws(TygerError) -> Bool {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/:@")
        let path = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
        let (response, _) = try await send(
            request(.GET, "/images/\(path)/json", query: []), description: "GET /images/\(name)/json", accepting: [404],
            collect: true)
        return response.status.code != 404
    }

    /// Creates image `repository` (`name:tag`) from a root file system tarball, with
    /// Dockerfile instructions such as `ENTRYPOINT ["prog"]` applied.
    func importImage(tarball: Data, repository: String, changes: [String] = []) async throws(TygerError) {
        let query = [("fromSrc", "-"), ("repo", repository)] + changes.map { ("changes", $0) }
        var request = request(.POST, "/images/create", query: query)
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/x-tar")
        request.body = .bytes(ByteBuffer(data: tarball))
        let (_, body) = try await send(request, description: "POST /images/create", accepting: [], collect: true)
        // The engine reports a failed import inside a 200 answer, as a JSON progress message.
        if let text = body.flatMap({ String(buffer: $0) }), text.contains("\"error\"") {
            throw TygerError(.backend, "the engine at \(socket) could not import \(repository): \(text)")
        }
    }

    // MARK: - Calls

    /// One call as it is, for tools that compare the backend with plain API calls: the
    /// body of the answer, or an error for a status that is not a success.
    package func raw(
        _ method: String, _ path: String, query: [(String, String)] = [], json: Data? = nil, accepting: Set<Int> = []
    ) async throws(TygerError) -> Data {
        var request = request(HTTPMethod(rawValue: method), path, query: query)
        if let json {
            request.body = .bytes(ByteBuffer(data: json))
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        }
        let (_, body) = try await send(request, description: "\(method) \(path)", accepting: accepting, collect: true)
        return body.map { Data(buffer: $0) } ?? Data()
    }

    private static func labelFilter(_ labels: [String]) -> String {
        let quoted = labels.map { "\"\($0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\"" }
        return "{\"label\":[\(quoted.joined(separator: ","))]}"
    }

    private func request(_ method: HTTPMethod, _ path: String, query: [(String, String)]) -> HTTPClientRequest {
        var url = base + path
        if !query.isEmpty {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            url += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
                .joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        // HTTP/1.1 needs a host; over a unix socket the client has none to send.
        request.headers.replaceOrAdd(name: "Host", value: "engine")
        return request
    }

    private func call(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: (some Encodable)? = Optional<Int>.none,
        accepting: Set<Int> = []
    ) async throws(TygerError) -> ByteBuffer? {
        var request = request(method, path, query: query)
        if let json {
            do {
                request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(json)))
            } catch {
                throw TygerError(.backend, "cannot encode \(method) \(path): \(error)")
            }
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        }
        return try await send(request, description: "\(method) \(path)", accepting: accepting, collect: true).body
    }

    private func open(
        _ method: HTTPMethod, _ path: String, query: [(String, String)]
    ) async throws(TygerError) -> HTTPClientResponse {
        try await send(request(method, path, query: query), description: "\(method) \(path)", accepting: [], collect: false)
            .response
    }

    /// Sends `request`; a success or an accepted status is returned (its body collected when
    /// `collect`), anything else becomes an error carrying the engine's message.
    private func send(
        _ request: HTTPClientRequest, description: String, accepting: Set<Int>, collect: Bool
    ) async throws(TygerError) -> (response: HTTPClientResponse, body: ByteBuffer?) {
        do {
            let response = try await http.execute(request, deadline: .distantFuture, logger: httpLogger)
            let status = Int(response.status.code)
            if (200..<300).contains(status) || accepting.contains(status) {
                guard collect else { return (response, nil) }
                return (response, try await response.body.collect(upTo: 64 << 20))
            }
            let body = try? await response.body.collect(upTo: 1 << 20)
            let message =
                body.flatMap { try? JSONDecoder().decode(EngineErrorBody.self, from: $0).message }
                ?? body.map { String(buffer: $0) } ?? ""
            throw EngineError(status: status, message: "\(description) answered \(status): \(message)")
        } catch let error as EngineError {
            throw TygerError(.backend, "the container engine at \(socket): \(error.message)", underlying: error)
        } catch is CancellationError {
            throw TygerError(.backend, "\(description) was canceled")
        } catch {
            throw TygerError(
                .backend, "cannot reach the container engine at \(socket) (\(description)): \(error)", underlying: error)
        }
    }

    private func decode<Value: Decodable>(_ type: Value.Type, from body: ByteBuffer?) throws(TygerError) -> Value {
        do {
            return try JSONDecoder().decode(type, from: body ?? ByteBuffer())
        } catch {
            throw TygerError(.backend, "the container engine at \(socket) answered what is not \(type): \(error)")
        }
    }
}

/// An engine's answer that is not a success.
struct EngineError: Error, Sendable {
    var status: Int
    var message: String
}
