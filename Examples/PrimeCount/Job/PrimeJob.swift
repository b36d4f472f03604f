#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import Foundation
import NIOCore
import NIOPosix
import TygerWorkerDiscovery

/// `prime-job [--limit N]`: the job of the PrimeCount example.
///
/// Splits `[2, N)` into one contiguous range per worker replica, asks every replica to count the
/// primes in its range concurrently, and prints the total. It fails unless every replica answered
/// for itself: replica *i* must answer at address *i*, as the discovery contract promises.
@main
struct PrimeJob {
    /// π(n) for the limits this example is usually run with, so a wrong answer fails the run.
    static let knownCounts: [Int: Int] = [1_000_000: 78_498, 2_000_000: 148_933, 10_000_000: 664_579]

    static let defaultLimit = 2_000_000

    /// The largest limit the workers accept (their sieve's bound, 2⁴⁰).
    static let maximumLimit = 1 << 40

    static func main() async {
        let limit = parseArguments(Array(CommandLine.arguments.dropFirst()))
        let workers: [WorkerEndpoint]
        do {
            workers = try WorkerDiscovery.endpoints("rpc")
        } catch {
            fail("\(error)")
        }
        guard !workers.isEmpty else { fail("TYGER_RPC_WORKER_ENDPOINT_ADDRESSES lists no workers") }

        let ranges = split(2..<max(2, limit), into: workers.count)
        let clock = ContinuousClock()
        let started = clock.now
        var answers: [Answer?] = Array(repeating: nil, count: workers.count)
        do {
            try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
                for (position, worker) in workers.enumerated() {
                    group.addTask { (position, try await ask(worker, position: position, range: ranges[position])) }
                }
                for try await (position, answer) in group {
                    answers[position] = answer
                }
            }
        } catch {
            fail("\(error)")
        }
        let elapsed = started.duration(to: clock.now)

        // Every replica must have answered, each at its own address; otherwise the work was
        // not really distributed the way the contract says, even if the sum happens to be right.
        var total = 0
        for (position, answer) in answers.enumerated() {
            guard let answer else { fail("worker \(position) at \(workers[position]) did not answer") }
            guard answer.workerIndex == position else {
                fail(
                    "address \(position) (\(workers[position])) answered as worker \(answer.workerIndex); "
                        + "every replica index 0..<\(workers.count) must answer at its own address")
            }
            let range = ranges[position]
            let bounds = "[\(range.lowerBound), \(range.upperBound))"
            Console.out("worker \(position) counted \(answer.count) primes in \(bounds)")
            total += answer.count
        }
        Console.out("all \(workers.count) workers answered in \(format(elapsed))")
        if let expected = knownCounts[limit], expected != total {
            fail("self-check failed: expected \(expected) primes below \(limit), the workers found \(total)")
        }
        Console.out("primes below \(limit): \(total) (computed by \(workers.count) workers)")
    }

    /// One worker's reply to `count <lo> <hi>`.
    struct Answer: Sendable {
        var count: Int
        var workerIndex: Int
    }

    /// A failure talking to one worker, naming it so the run's log says which replica is at fault.
    struct WorkerError: Error, CustomStringConvertible {
        var position: Int
        var endpoint: WorkerEndpoint
        var problem: String

        var description: String { "worker \(position) at \(endpoint): \(problem)" }
    }

    /// Sends one request over a fresh connection and reads the one-line reply.
    static func ask(_ endpoint: WorkerEndpoint, position: Int, range: Range<Int>) async throws -> Answer {
        func failure(_ problem: String) -> WorkerError {
            WorkerError(position: position, endpoint: endpoint, problem: problem)
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            // The backend starts the job only once every endpoint accepts connections, so a
            // refused connection is a real failure and is not retried.
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw failure("cannot connect: \(error)")
        }
        let line: String
        do {
            line = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "count \(range.lowerBound) \(range.upperBound)\n"))
                var received = ByteBuffer()
                for try await var chunk in inbound {
                    received.writeBuffer(&chunk)
                    if let newline = received.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                        return String(decoding: received.readableBytesView[..<newline], as: UTF8.self)
                    }
                    if received.readableBytes > 4096 { throw failure("reply line longer than 4096 bytes") }
                }
                throw failure("closed the connection without answering")
            }
        } catch let error as WorkerError {
            throw error
        } catch {
            throw failure("\(error)")
        }
        if line.hasPrefix("error ") {
            throw failure("refused [\(range.lowerBound), \(range.upperBound)): \(line.dropFirst(6))")
        }
        let words = line.split(separator: " ")
        guard words.count == 2, let count = Int(words[0]), let index = Int(words[1]), count >= 0 else {
            throw failure("unexpected reply '\(line)'; expected '<count> <worker index>'")
        }
        return Answer(count: count, workerIndex: index)
    }

    /// `parts` contiguous ranges covering `range`, their lengths differing by at most one.
    ///
    /// Equal widths are not equal work (primes thin out and sieving costs a little more higher
    /// up), but the difference is a few percent, which is not worth complicating an example for.
    static func split(_ range: Range<Int>, into parts: Int) -> [Range<Int>] {
        (0..<parts).map { part in
            let width = range.count
            let low = range.lowerBound + width * part / parts
            let high = range.lowerBound + width * (part + 1) / parts
            return low..<high
        }
    }

    /// Reads `[--limit N]`; exits with usage status 64 on anything else.
    static func parseArguments(_ arguments: [String]) -> Int {
        var limit = defaultLimit
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--limit":
                guard let text = rest.popFirst(), let value = Int(text), (2...maximumLimit).contains(value) else {
                    usage("--limit needs an integer in 2...\(maximumLimit)")
                }
                limit = value
            case "-h", "--help":
                Console.out(usageText)
                exit(0)
            default:
                usage("unexpected argument '\(argument)'")
            }
        }
        return limit
    }

    static let usageText =
        "usage: prime-job [--limit N]   (count the primes below N, default \(defaultLimit), on the run's workers)"

    static func usage(_ problem: String) -> Never {
        Console.error("prime-job: \(problem)")
        Console.error(usageText)
        exit(64)
    }

    static func fail(_ message: String) -> Never {
        Console.error("prime-job: \(message)")
        exit(1)
    }

    /// A duration as milliseconds with one decimal, e.g. `42.7 ms`.
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
        return "\(milliseconds) ms"
    }
}

/// Writes whole lines to stdout or stderr at once: `print` holds output back while stdout is a
/// pipe, which is how a run captures logs, so progress would show only at exit.
enum Console {
    static func out(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    static func error(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
