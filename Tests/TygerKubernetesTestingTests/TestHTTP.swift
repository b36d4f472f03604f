import Foundation
import Synchronization
import TygerKubernetesTesting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deliberately small HTTP/1.1 client over a plain socket, so the tests see exactly what the
/// server sends (status, headers, chunked streams) with nothing in between.
struct TestHTTP {
    struct Response: CustomStringConvertible {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue { (try? JSONValue(parsing: body)) ?? .string(text) }
        var description: String { "\(status) \(text)" }

        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int

    init(_ server: KubernetesTestServer) {
        port = server.baseURL.port!
    }

    func get(_ path: String) async throws -> Response { try await send("GET", path) }

    func post(_ path: String, _ body: JSONValue) async throws -> Response {
        try await send("POST", path, body: body.serialized)
    }

    func put(_ path: String, _ body: JSONValue) async throws -> Response {
        try await send("PUT", path, body: body.serialized)
    }

    func patch(_ path: String, _ body: JSONValue, type: String = "application/merge-patch+json") async throws -> Response {
        try await send("PATCH", path, body: body.serialized, contentType: type)
    }

    func delete(_ path: String, _ body: JSONValue? = nil) async throws -> Response {
        try await send("DELETE", path, body: body?.serialized)
    }

    /// One request on its own connection (`Connection: close`), read to the end.
    func send(_ method: String, _ path: String, body: String? = nil, contentType: String = "application/json") async throws
        -> Response
    {
        let port = port
        return try await Self.onThread {
            let socket = try Self.connect(port: port)
            defer { close(socket) }
            try Self.writeRequest(socket, method: method, path: path, body: body, contentType: contentType, keepAlive: false)
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !Self.isComplete(data) {
                let count = read(socket, &buffer, buffer.count)
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
            }
            return try Self.parse(data)
        }
    }

    /// A streaming GET: the status and headers, then each line of the (chunked) body as it arrives.
    func stream(_ path: String) async throws -> LineStream {
        let port = port
        let socket = try await Self.onThread { () throws -> Int32 in
            let socket = try Self.connect(port: port)
            try Self.writeRequest(socket, method: "GET", path: path, body: nil, contentType: "", keepAlive: true)
            return socket
        }
        let stream = LineStream(socket: socket)
        await stream.waitForHead()
        return stream
    }

    // MARK: Plumbing

    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.start()
        }
    }

    static func connect(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { throw Failure(description: "socket failed") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #else
                Darwin.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #endif
            }
        }
        guard result == 0 else {
            close(socket)
            throw Failure(description: "connect to 127.0.0.1:\(port) failed")
        }
        return socket
    }

    static func writeRequest(_ socket: Int32, method: String, path: String, body: String?, contentType: String, keepAlive: Bool) throws {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
        if !keepAlive { request += "Connection: close\r\n" }
        let bodyBytes = Array((body ?? "").utf8)
        if body != nil { request += "Content-Type: \(contentType)\r\nContent-Length: \(bodyBytes.count)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8) + bodyBytes
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            guard written > 0 else { throw Failure(description: "write failed") }
            offset += written
        }
    }

    static func parse(_ data: [UInt8]) throws -> Response {
        guard let split = headEnd(data) else { throw Failure(description: "no HTTP head in \(data.count) bytes") }
        let (status, headers) = try parseHead(Array(data[..<split]))
        var body = Array(data[(split + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    /// Whether `data` holds a whole response (by Content-Length or the last chunk).
    static func isComplete(_ data: [UInt8]) -> Bool {
        guard let end = headEnd(data), let (_, headers) = try? parseHead(Array(data[..<end])) else { return false }
        let body = data.count - end - 4
        if let length = headers["content-length"].flatMap({ Int($0) }) { return body >= length }
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            return data.count >= 5 && Array(data.suffix(5)) == Array("0\r\n\r\n".utf8)
        }
        return false
    }

    static func headEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for index in 0...(data.count - 4) where data[index] == 13 && data[index + 1] == 10 && data[index + 2] == 13 && data[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func parseHead(_ head: [UInt8]) throws -> (Int, [String: String]) {
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        return (status, headers)
    }

    static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var decoder = ChunkDecoder()
        return decoder.feed(data)
    }
}

/// `close(2)`, named apart from the `close()` methods that shadow it.
private func closeDescriptor(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

/// Decodes chunked transfer encoding incrementally.
struct ChunkDecoder {
    private var pending: [UInt8] = []
    private(set) var finished = false

    mutating func feed(_ data: [UInt8]) -> [UInt8] {
        pending += data
        var output: [UInt8] = []
        while !finished {
            guard let lineEnd = pending.firstIndex(of: 10), lineEnd > 0 else { break }
            let sizeText = String(decoding: pending[..<(lineEnd - 1)], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16) else { break }
            if size == 0 {
                finished = true
                break
            }
            guard pending.count >= lineEnd + 1 + size + 2 else { break }
            output += pending[(lineEnd + 1)..<(lineEnd + 1 + size)]
            pending.removeFirst(lineEnd + 1 + size + 2)
        }
        return output
    }
}

/// The lines of a streamed response, read on a background thread.
final class LineStream: Sendable {
    private struct State {
        var status = 0
        var headers: [String: String] = [:]
        var lines: [String] = []
        var ended = false
        var closed = false
        var haveHead = false
    }

    private let socket: Int32
    private let state = Mutex(State())

    init(socket: Int32) {
        self.socket = socket
        let thread = Thread { [self] in self.readLoop() }
        thread.start()
    }

    /// Waits (without blocking a thread of the cooperative pool) until the response head arrived.
    func waitForHead(timeout: Duration = .seconds(10)) async {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !state.withLock({ $0.haveHead || $0.ended }) {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    var status: Int { state.withLock { $0.status } }
    var headers: [String: String] { state.withLock { $0.headers } }

    private func readLoop() {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var decoder = ChunkDecoder()
        var haveHead = false
        var chunked = false
        var text: [UInt8] = []
        while true {
            let count = read(socket, &buffer, buffer.count)
            if count <= 0 { break }
            data.append(contentsOf: buffer[0..<count])
            if !haveHead {
                guard let end = TestHTTP.headEnd(data) else { continue }
                if let (status, headers) = try? TestHTTP.parseHead(Array(data[..<end])) {
                    state.withLock {
                        $0.status = status
                        $0.headers = headers
                        $0.haveHead = true
                    }
                    chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
                }
                haveHead = true
                data = Array(data[(end + 4)...])
            }
            text += chunked ? decoder.feed(data) : data
            data = []
            while let newline = text.firstIndex(of: 10) {
                let line = String(decoding: text[..<newline], as: UTF8.self)
                state.withLock { $0.lines.append(line) }
                text.removeFirst(newline + 1)
            }
            if decoder.finished { break }
        }
        state.withLock { state in
            state.closed = true
            _ = closeDescriptor(socket)
        }
        let rest = text
        state.withLock {
            if !rest.isEmpty { $0.lines.append(String(decoding: rest, as: UTF8.self)) }
            $0.ended = true
        }
    }

    /// The next line, or `nil` when the stream ended or nothing came within `timeout`.
    func next(timeout: Duration = .seconds(10)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (line, ended) = state.withLock { state -> (String?, Bool) in
                if !state.lines.isEmpty { return (state.lines.removeFirst(), false) }
                return (nil, state.ended)
            }
            if let line { return line }
            if ended || ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next line parsed as a watch event.
    func nextEvent(timeout: Duration = .seconds(30)) async -> JSONValue? {
        guard let line = await next(timeout: timeout) else { return nil }
        return try? JSONValue(parsing: line)
    }

    /// Events until one satisfies `condition` (returned), skipping others; `nil` on timeout or end.
    func event(timeout: Duration = .seconds(30), where condition: (JSONValue) -> Bool) async -> JSONValue? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let event = await nextEvent(timeout: deadline - ContinuousClock.now) else { return nil }
            if condition(event) { return event }
        }
        return nil
    }

    /// Waits for the server to end the stream; `true` when it did (unread lines are discarded).
    func waitForEnd(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.ended }) { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Lines received and not yet consumed.
    var unread: [String] { state.withLock { $0.lines } }

    func close() {
        // The descriptor is shut down only while the reader has not closed it: the number could
        // otherwise already belong to another socket in this process (even one of the server's).
        state.withLock { state in
            guard !state.closed else { return }
            state.closed = true
            shutdown(socket, Int32(SHUT_RDWR))
        }
    }

    deinit { close() }
}
