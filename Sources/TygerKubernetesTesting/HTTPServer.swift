import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 transport: accepts connections on loopback and hands each request to a handler.
///
/// Requests on one connection are answered in order. A streamed response (watch, followed log)
/// is written as chunked encoding, one flushed chunk per element, and is cancelled as soon as
/// the client closes the connection, so abandoned watches do not linger.
final class HTTPServer: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    let port: Int
    private let channel: any Channel
    private let acceptLoop: Task<Void, Never>

    private init(port: Int, channel: any Channel, acceptLoop: Task<Void, Never>) {
        self.port = port
        self.channel = channel
        self.acceptLoop = acceptLoop
    }

    /// Binds `host:port` (0 for an ephemeral port) and starts serving.
    static func start(host: String, port: Int, handler: @escaping Handler) async throws -> HTTPServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        let underlying = server.channel
        let acceptLoop = Task<Void, Never> {
            _ = try? await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await serve(connection, handler: handler) }
                    }
                }
            }
        }
        return HTTPServer(port: boundPort, channel: underlying, acceptLoop: acceptLoop)
    }

    /// Stops accepting, ends every open connection, and waits for the server to wind down.
    func shutdown() async {
        try? await channel.close()
        acceptLoop.cancel()
        await acceptLoop.value
    }

    private static func serve(_ connection: Connection, handler: @escaping Handler) async {
        try? await connection.executeThenClose { inbound, outbound in
            let (requests, pending) = AsyncStream<(request: HTTPRequest, keepAlive: Bool)>.makeStream()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    var head: HTTPRequestHead?
                    var body: [UInt8] = []
                    do {
                        for try await part in inbound {
                            switch part {
                            case .head(let requestHead):
                                head = requestHead
                                body = []
                            case .body(let buffer):
                                body.append(contentsOf: buffer.readableBytesView)
                            case .end:
                                guard let requestHead = head else { continue }
                                let headers = requestHead.headers.map { (name: $0.name, value: $0.value) }
                                pending.yield(
                                    (HTTPRequest(method: requestHead.method.rawValue, uri: requestHead.uri, headers: headers, body: body),
                                     requestHead.isKeepAlive))
                                head = nil
                            }
                        }
                    } catch {}
                    pending.finish()
                }
                group.addTask {
                    for await (request, keepAlive) in requests {
                        let response = await handler(request)
                        let written = (try? await write(response, keepAlive: keepAlive, to: outbound)) ?? false
                        if !written { break }
                        if !keepAlive {
                            // The writer's `write` returns before the bytes reach the socket, and
                            // closing drops unsent ones; so let the client close first (it does
                            // once it read the answer) and only then close ourselves.
                            try? await Task.sleep(for: .seconds(5))
                            break
                        }
                    }
                }
                // Whichever ends first ends the connection: the client hung up, or the answer
                // was the last one (or could not be written).
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Writes one response; `false` when the connection must close instead.
    private static func write(
        _ response: HTTPResponse, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    ) async throws -> Bool {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: response.status)
        switch response.body {
        case .close:
            return false
        case .bytes(let bytes):
            headers.add(name: "Content-Length", value: String(bytes.count))
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            if !bytes.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
            try await outbound.write(.end(nil))
        case .stream(let chunks):
            headers.add(name: "Transfer-Encoding", value: "chunked")
            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
            for await chunk in chunks {
                try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk))))
            }
            if Task.isCancelled { return false }
            try await outbound.write(.end(nil))
        }
        return true
    }
}
