#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import TygerWorkerDiscovery

#if canImport(Glibc)
/// glibc imports `SOCK_STREAM` as an enum case, Darwin and musl as a plain `Int32`.
private let streamSocketType = Int32(SOCK_STREAM.rawValue)
#else
private let streamSocketType = SOCK_STREAM
#endif

/// The few blocking TCP operations the conformance programs need, on raw descriptors.
enum Socket {
    /// A listening socket on `0.0.0.0:port`, non-blocking so a connection that vanishes between
    /// `poll` and `accept` cannot stall the other endpoints.
    static func listen(port: Int) throws(SystemError) -> Int32 {
        let operation = "listen on 0.0.0.0:\(port)"
        let descriptor = socket(AF_INET, streamSocketType, 0)
        guard descriptor >= 0 else { throw SystemError("\(operation): socket") }
        var one: Int32 = 1
        // A restarted replica must be able to rebind while the old socket is in TIME_WAIT.
        guard setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let error = SystemError("\(operation): setsockopt SO_REUSEADDR")
            _ = close(descriptor)
            throw error
        }
        var address = sockaddr_in()
        #if canImport(Darwin)
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: INADDR_ANY)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, systemListen(descriptor, 128) == 0 else {
            let error = SystemError(operation)
            _ = close(descriptor)
            throw error
        }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        return descriptor
    }

    /// The next pending connection, or `nil` when there is none right now.
    ///
    /// Errors that concern only the one connection (the peer reset it, it was aborted) are also
    /// `nil`: a readiness probe that connects and immediately closes must not stop the worker.
    static func accept(_ listener: Int32) -> Int32? {
        while true {
            let connection = systemAccept(listener)
            if connection >= 0 {
                // accept(2) on Linux does not inherit O_NONBLOCK, but BSDs do; be explicit.
                _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) & ~O_NONBLOCK)
                return connection
            }
            if errno != EINTR { return nil }
        }
    }

    /// Writes every byte, retrying short writes and EINTR.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0, errno != EINTR {
                throw SystemError("write")
            }
        }
    }

    /// A connected socket to `endpoint`, trying each address the name resolves to.
    ///
    /// Uses a non-blocking connect bounded by `timeout`, because a worker host that drops packets
    /// would otherwise hang the check for the kernel's SYN retry time (minutes).
    static func connect(to endpoint: WorkerEndpoint, timeout: Duration) throws(SystemError) -> Int32 {
        let operation = "connect to \(endpoint)"
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamSocketType
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0 else {
            let reason = String(cString: gai_strerror(status))
            throw SystemError(operation, reason: "cannot resolve '\(endpoint.host)': \(reason)")
        }
        defer { freeaddrinfo(list) }
        var lastError = SystemError(operation, reason: "no addresses")
        var candidate = list
        while let info = candidate {
            candidate = info.pointee.ai_next
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard descriptor >= 0 else {
                lastError = SystemError("\(operation): socket")
                continue
            }
            do throws(SystemError) {
                try connect(
                    descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen, timeout: timeout, operation: operation)
                return descriptor
            } catch {
                lastError = error
                _ = close(descriptor)
            }
        }
        throw lastError
    }

    private static func connect(
        _ descriptor: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t,
        timeout: Duration, operation: String
    ) throws(SystemError) {
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        // A connect interrupted by a signal carries on in the background, exactly like
        // EINPROGRESS, so both are finished by waiting for writability.
        if systemConnect(descriptor, address, length) != 0 {
            guard errno == EINPROGRESS || errno == EINTR else { throw SystemError(operation) }
            guard try wait(descriptor, for: Int16(POLLOUT), timeout: timeout, operation: operation) else {
                throw SystemError(operation, reason: "timed out after \(timeout)")
            }
            var pending: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &pending, &size) == 0 else {
                throw SystemError("\(operation): getsockopt SO_ERROR")
            }
            guard pending == 0 else { throw SystemError(operation, code: pending) }
        }
        _ = fcntl(descriptor, F_SETFL, flags)
    }

    /// Reads until end of stream, a newline, or `limit` bytes, whichever comes first.
    static func readLine(
        _ descriptor: Int32, timeout: Duration, limit: Int = 4096, operation: String
    ) throws(SystemError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while bytes.count < limit, !bytes.contains(UInt8(ascii: "\n")) {
            let left = clock.now.duration(to: deadline)
            guard left > .zero, try wait(descriptor, for: Int16(POLLIN), timeout: left, operation: operation) else {
                throw SystemError(
                    operation, reason: "no complete line within \(timeout); received \(bytes.count) bytes")
            }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += chunk[..<count]
            } else if count == 0 {
                break
            } else if errno != EINTR {
                throw SystemError(operation)
            }
        }
        return bytes
    }

    /// Waits until `descriptor` reports `events`; `false` on timeout.
    private static func wait(
        _ descriptor: Int32, for events: Int16, timeout: Duration, operation: String
    ) throws(SystemError) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        while true {
            let left = clock.now.duration(to: deadline)
            if left <= .zero { return false }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&entry, 1, milliseconds)
            // Errors and hang-ups count as ready: the next call reports the actual problem.
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { throw SystemError("\(operation): poll") }
        }
    }
}

// Inside `Socket` the C functions are shadowed by its own `listen`, `accept` and `connect`;
// these file-level names reach the C ones on every platform.

private func systemListen(_ descriptor: Int32, _ backlog: Int32) -> Int32 {
    listen(descriptor, backlog)
}

private func systemAccept(_ descriptor: Int32) -> Int32 {
    accept(descriptor, nil, nil)
}

private func systemConnect(
    _ descriptor: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t
) -> Int32 {
    connect(descriptor, address, length)
}
