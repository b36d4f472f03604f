#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import Dispatch
import Foundation
import NIOCore
import NIOPosix
import TygerWorkerDiscovery

/// `prime-worker`: one worker replica of the PrimeCount example.
///
/// Serves a line protocol on the port Tyger assigns to the `rpc` endpoint:
///
///     count <lo> <hi>     →  <number of primes p with lo <= p < hi> <worker index>
///     anything else       →  error <message>
///
/// Several requests may be sent on one connection; each gets exactly one line back.
@main
struct PrimeWorker {
    static func main() async {
        let index: Int
        let port: Int
        do {
            index = try WorkerDiscovery.workerIndex()
            port = try WorkerDiscovery.listenPort(for: "rpc")
        } catch {
            Console.error("prime-worker: \(error)")
            exit(1)
        }

        do {
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                // A client may send its requests and shut down its sending side (as `nc` does);
                // it still gets its answers, and the connection closes once they are written.
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .bind(host: "0.0.0.0", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                        return try NIOAsyncChannel<String, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            Console.out("worker \(index) listening on port \(port)")

            let (termination, signalSource) = terminationSignals()
            defer { signalSource.cancel() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await withThrowingDiscardingTaskGroup { connections in
                        try await server.executeThenClose { inbound in
                            for try await connection in inbound {
                                connections.addTask { await serve(connection, index: index) }
                            }
                        }
                    }
                }
                group.addTask {
                    for await _ in termination { return }
                }
                // Whichever finishes first ends the worker: SIGTERM, or a failed server channel.
                // Cancelling the rest closes the listener and every open connection.
                try await group.next()
                group.cancelAll()
            }
            Console.out("worker \(index) stopped on SIGTERM")
        } catch {
            Console.error("prime-worker: worker \(index) on port \(port): \(error)")
            exit(1)
        }
    }

    /// Each SIGTERM, as an async sequence, and the Dispatch source that feeds it.
    ///
    /// The default action would kill the process with status 143; Tyger stops workers with
    /// SIGTERM when a run ends, and a worker that was simply told to stop has not failed.
    /// The caller keeps the source alive for as long as it wants signals delivered.
    private static func terminationSignals() -> (signals: AsyncStream<Void>, source: any DispatchSourceSignal) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        // Dispatch only observes the signal; the kernel's default action must be disabled first.
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        return (stream, source)
    }

    /// Answers every request line on one connection, in order.
    private static func serve(_ connection: NIOAsyncChannel<String, ByteBuffer>, index: Int) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                do {
                    for try await line in inbound {
                        let reply = await answer(line, index: index)
                        try await outbound.write(ByteBuffer(string: reply + "\n"))
                    }
                } catch let error as LineDecoder.LineTooLong {
                    try await outbound.write(ByteBuffer(string: "error \(error)\n"))
                }
            }
        } catch is CancellationError {
            // The worker is shutting down and closed this connection itself; nothing went wrong.
        } catch {
            // One client's broken connection is that client's problem; the worker carries on.
            Console.error("worker \(index): connection ended: \(error)")
        }
    }

    /// The reply line for one request, without its newline.
    private static func answer(_ line: String, index: Int) async -> String {
        let request: (low: Int, high: Int)
        switch parse(line) {
        case .success(let range): request = range
        case .failure(let problem): return "error \(problem.message)"
        }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            // Sieving a large range takes seconds; run it off the cooperative pool so other
            // connections (and shutdown) are not starved on a small machine.
            let count = try await NIOThreadPool.singleton.runIfActive {
                PrimeCounter.count(from: request.low, to: request.high)
            }
            let (seconds, attoseconds) = started.duration(to: clock.now).components
            let milliseconds = ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
            let bounds = "[\(request.low), \(request.high))"
            Console.out("worker \(index) counted \(count) primes in \(bounds) in \(milliseconds) ms")
            return "\(count) \(index)"
        } catch {
            return "error \(error)"
        }
    }

    /// A request the worker refuses, with the text sent back after `error `.
    struct RequestError: Error {
        var message: String
    }

    /// Parses `count <lo> <hi>` with `0 <= lo <= hi <= PrimeCounter.maximumHigh`.
    static func parse(_ line: String) -> Result<(low: Int, high: Int), RequestError> {
        let words = line.split(separator: " ")
        guard words.count == 3, words[0] == "count" else {
            return .failure(RequestError(message: "expected 'count <lo> <hi>'"))
        }
        guard let low = Int(words[1]), let high = Int(words[2]), low >= 0, high >= 0 else {
            return .failure(RequestError(message: "bounds must be non-negative integers"))
        }
        guard low <= high else { return .failure(RequestError(message: "lo \(low) is greater than hi \(high)")) }
        guard high <= PrimeCounter.maximumHigh else {
            let message = "hi \(high) is above the supported maximum \(PrimeCounter.maximumHigh)"
            return .failure(RequestError(message: message))
        }
        return .success((low, high))
    }
}

/// Writes whole lines to stdout or stderr at once: `print` holds output back while stdout is a
/// pipe, which is how a run captures logs, so progress would show only at exit.
enum Console {
    static func out(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    static func error(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
