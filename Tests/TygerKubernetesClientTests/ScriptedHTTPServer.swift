import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A tiny HTTP/1.1 server for client tests: it answers requests, in arrival order, from a
/// queue of canned responses and records every request it receives.
///
/// A response may be a plain body, a body sent in several flushed chunks with pauses (so the
/// client really receives the pieces separately), or a dropped connection. With an
/// `NIOSSLContext` it serves HTTPS, which lets tests prove CA, client-certificate and
/// server-name handling against a real handshake.
final class ScriptedHTTPServer: Sendable {
    /// One canned answer.
    enum Action: Sendable {
        case respond(Response)
        /// Close the connection after reading the request, without answering.
        case dropConnection

        static func json(_ status: HTTPResponseStatus = .ok, _ body: String, headers: [(String, String)] = []) -> Action
        {
            .respond(.json(status, body, headers: headers))
        }

        static func status(_ code: Int, reason: String, message: String, headers: [(String, String)] = []) -> Action {
            .respond(.status(code, reason: reason, message: message, headers: headers))
        }

        static func stream(
            _ pieces: [String], pause: Duration = .milliseconds(20), contentType: String = "application/json"
        ) -> Action {
            .respond(.stream(pieces, pause: pause, contentType: contentType))
        }
    }

    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: [(String, String)] = []
        /// Pieces of the body, each written and flushed after its pause.
        var chunks: [(bytes: [UInt8], pause: Duration)]
        /// Chunked transfer encoding instead of a content length.
        var chunked: Bool

        /// A JSON (or any text) body sent at once.
        static func json(_ status: HTTPResponseStatus = .ok, _ body: String, headers: [(String, String)] = [])
            -> Response
        {
            Response(
                status: status, headers: [("Content-Type", "application/json")] + headers,
                chunks: [(Array(body.utf8), .zero)], chunked: false)
        }

        /// A Kubernetes `Status` error body.
        static func status(_ code: Int, reason: String, message: String, headers: [(String, String)] = []) -> Response {
            let body = """
                {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"\(message)","reason":"\(reason)","code":\(code)}
                """
            return json(HTTPResponseStatus(statusCode: code), body, headers: headers)
        }

        /// A body sent in pieces, each after `pause`, with chunked encoding.
        static func stream(
            _ pieces: [String], pause: Duration = .milliseconds(20), contentType: String = "application/json"
        ) -> Response {
            Response(
                status: .ok, headers: [("Content-Type", contentType)],
                chunks: pieces.map { (Array($0.utf8), pause) }, chunked: true)
        }
    }

    /// A request as the server received it.
    struct RecordedRequest: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]

        var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
        /// The raw (still percent-encoded) query.
        var rawQuery: String { uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "" }
        /// The decoded query parameters.
        var query: [String: String] {
            var result: [String: String] = [:]
            for pair in rawQuery.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                let name = parts[0].removingPercentEncoding ?? parts[0]
                result[name] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
            }
            return result
        }
        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    private struct State {
        var queue: [Action] = []
        var requests: [RecordedRequest] = []
        var channel: (any Channel)?
    }

    private let state = Mutex(State())
    private let sslContext: NIOSSLContext?

    init(tls sslContext: NIOSSLContext? = nil) {
        self.sslContext = sslContext
    }

    /// Starts listening on 127.0.0.1 and returns the port.
    func start() async throws -> Int {
        let sslContext = self.sslContext
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(server: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        state.withLock { $0.channel = channel }
        return channel.localAddress?.port ?? 0
    }

    /// Stops listening. Open connections close with the event loop's next activity.
    func stop() async {
        let channel = state.withLock { $0.channel }
        try? await channel?.close()
    }

    /// Adds answers to the queue.
    func enqueue(_ actions: Action...) {
        state.withLock { $0.queue.append(contentsOf: actions) }
    }

    /// Every request received so far, in order.
    var requests: [RecordedRequest] {
        state.withLock { $0.requests }
    }

    fileprivate func next(for request: RecordedRequest) -> Action {
        state.withLock { state in
            state.requests.append(request)
            if state.queue.isEmpty {
                return .respond(
                    .status(418, reason: "ScriptExhausted", message: "the scripted server has no response left"))
            }
            return state.queue.removeFirst()
        }
    }
}

/// Reads one request at a time and writes the scripted answer.
private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: ScriptedHTTPServer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(server: ScriptedHTTPServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            let request = ScriptedHTTPServer.RecordedRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: body)
            switch server.next(for: request) {
            case .dropConnection:
                context.close(promise: nil)
            case .respond(let response):
                var headers = HTTPHeaders(response.headers)
                if response.chunked {
                    headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
                } else {
                    headers.replaceOrAdd(
                        name: "Content-Length", value: String(response.chunks.reduce(0) { $0 + $1.bytes.count }))
                }
                context.write(
                    wrapOutboundOut(
                        .head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))),
                    promise: nil)
                writeChunks(response.chunks[...], context: context)
            }
        }
    }

    private func writeChunks(_ chunks: ArraySlice<(bytes: [UInt8], pause: Duration)>, context: ChannelHandlerContext) {
        guard let first = chunks.first else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let send = {
            context.writeAndFlush(
                self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: first.bytes)))), promise: nil)
            self.writeChunks(chunks.dropFirst(), context: context)
        }
        if first.pause > .zero {
            let (seconds, attoseconds) = first.pause.components
            context.eventLoop.assumeIsolated().scheduleTask(
                in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            ) {
                send()
            }
        } else {
            context.flush()
            send()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS failures (no client certificate, unknown CA) end up here: drop the connection.
        context.close(promise: nil)
    }
}

extension ScriptedHTTPServer {
    /// Starts an HTTPS server presenting `pair` (signed by the test CA, which no system trusts)
    /// and returns it with its port. With `requireClientCertificate`, the handshake fails
    /// unless the client presents a certificate signed by the test CA; without it, only the
    /// client's verification decides whether the handshake succeeds.
    static func startHTTPS(
        _ certificates: TestCertificates, pair: TestCertificates.Pair? = nil, requireClientCertificate: Bool = false
    ) async throws -> (server: ScriptedHTTPServer, port: Int) {
        let pair = pair ?? certificates.server
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pair.certificatePEM)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pair.keyPEM), format: .pem)))
        if requireClientCertificate {
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certificates.ca.certificatePEM)))
        } else {
            tls.certificateVerification = .none
        }
        let server = ScriptedHTTPServer(tls: try NIOSSLContext(configuration: tls))
        return (server, try await server.start())
    }
}
