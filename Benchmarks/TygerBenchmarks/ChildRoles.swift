#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import TygerWorkerDiscovery

/// The programs this executable becomes when it is started by a benchmark rather than by a person
/// (`tyger-benchmarks --role <name> ...`). Keeping them in the one benchmark target means the
/// measurements need no extra products.
enum ChildRole {
    /// The argument that selects a role.
    static let flag = "--role"

    /// Runs the role named in `arguments` if there is one; returns only when there is none.
    static func runIfRequested(_ arguments: [String]) {
        guard arguments.count >= 3, arguments[1] == flag else { return }
        switch arguments[2] {
        case "clock-worker": clockWorker(listenAfter: Double(arguments.dropFirst(3).first ?? "") ?? 0)
        case "startup-print": startupPrint()
        case "startup-discovery": startupDiscovery()
        default:
            writeLine("tyger-benchmarks: unknown role '\(arguments[2])'", to: 2)
            exit(64)
        }
    }

    /// A worker replica that starts listening on `TYGER_RPC_ENDPOINT_PORT` after `listenAfter`
    /// seconds and prints the wall-clock time at which `listen` returned. That time is the moment
    /// the endpoint became ready, taken by the worker itself rather than by whoever reads its output.
    private static func clockWorker(listenAfter delay: Double) -> Never {
        do {
            let index = try WorkerDiscovery.workerIndex()
            let port = try WorkerDiscovery.listenPort(for: "rpc")
            if delay > 0 { usleep(useconds_t(delay * 1_000_000)) }
            guard let listener = LoopbackSocket.openListener(port: port) else {
                writeLine("clock-worker \(index): cannot listen on \(port)", to: 2)
                exit(1)
            }
            let readyAt = wallClockSeconds()
            writeLine("clock-worker \(index) listening-at \(readyAt)")
            // Accept and close until the backend stops the run with SIGTERM (default action).
            while true {
                let connection = accept(listener, nil, nil)
                if connection >= 0 { _ = close(connection) }
            }
        } catch {
            writeLine("clock-worker: \(error)", to: 2)
            exit(1)
        }
    }

    /// The smallest job program: prints one line. The start-up baseline for ``startupDiscovery()``.
    private static func startupPrint() -> Never {
        writeLine("started")
        exit(0)
    }

    /// A job program that finds its workers through `TygerWorkerDiscovery` and prints how many.
    private static func startupDiscovery() -> Never {
        do {
            let endpoints = try WorkerDiscovery.endpoints("rpc")
            writeLine("started with \(endpoints.count) workers")
            exit(0)
        } catch {
            writeLine("startup-discovery: \(error)", to: 2)
            exit(1)
        }
    }
}
