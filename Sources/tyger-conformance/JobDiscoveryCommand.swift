#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import TygerWorkerDiscovery

/// `job-discovery <endpoint> [--expect-replicas N]`: the job side of the discovery contract.
///
/// Mirrors upstream Tyger's own end-to-end check (a job and several workers, each address
/// answering from a distinct replica) and tightens it: address *i* must be
/// served by replica *i*, not merely by some distinct replica, because jobs shard work by index.
enum JobDiscoveryCommand {
    /// How long one worker may take to accept and answer; generous, since the backend promised
    /// that every endpoint was accepting connections before the job started.
    static let timeout: Duration = .seconds(10)

    static func run(_ arguments: [String]) -> Never {
        guard let name = arguments.first else { usage("job-discovery: missing endpoint name") }
        var expected: Int?
        var rest = arguments.dropFirst()
        while let option = rest.popFirst() {
            guard option == "--expect-replicas", let text = rest.popFirst(), let count = Int(text), count > 0 else {
                usage("job-discovery: expected '--expect-replicas N' with N > 0")
            }
            expected = count
        }

        let nodes: [String]
        let endpoints: [WorkerEndpoint]
        do {
            nodes = try WorkerDiscovery.nodes()
            endpoints = try WorkerDiscovery.endpoints(name)
        } catch {
            fail("job-discovery: \(error)")
        }
        guard nodes.count == endpoints.count else {
            fail(
                "job-discovery: TYGER_WORKER_NODES has \(nodes.count) entries "
                    + "but the '\(name)' addresses have \(endpoints.count)")
        }
        guard !endpoints.isEmpty else { fail("job-discovery: the run has no worker replicas") }
        if let expected, endpoints.count != expected {
            fail("job-discovery: expected \(expected) replicas, discovered \(endpoints.count)")
        }

        var instances: [String] = []
        for (position, endpoint) in endpoints.enumerated() {
            let (index, endpointName, instance) = ask(endpoint)
            guard index == position else {
                fail(
                    "job-discovery: address \(position) (\(endpoint)) answered as worker \(index); "
                        + "addresses are not in replica order")
            }
            guard endpointName == name.lowercased() else {
                fail(
                    "job-discovery: \(endpoint) answered for endpoint '\(endpointName)', "
                        + "expected '\(name.lowercased())'")
            }
            if let run = try? WorkerDiscovery.runID(), !instance.hasPrefix("\(run)/") {
                fail("job-discovery: \(endpoint) answered as \(instance), a worker of another run than \(run)")
            }
            // Each worker process answers with a token of its own: pids cannot tell them apart,
            // since in a container or a PID namespace every replica's first process is pid 1.
            if let twin = instances.firstIndex(of: instance) {
                fail("job-discovery: \(endpoint) and \(endpoints[twin]) are served by the same process (\(instance))")
            }
            instances.append(instance)
        }

        let summary = [
            "\"replicas\":\(endpoints.count)",
            "\"indexes\":[\(endpoints.indices.map(String.init).joined(separator: ","))]",
            "\"instances\":[\(instances.map(jsonString).joined(separator: ","))]",
            "\"nodes\":[\(nodes.map(jsonString).joined(separator: ","))]",
            "\"addresses\":[\(endpoints.map { jsonString($0.description) }.joined(separator: ","))]",
        ]
        writeOutput("{" + summary.joined(separator: ",") + "}")
        exit(0)
    }

    /// Connects to `endpoint` and parses the worker's `<index> <endpoint> <instance>` line.
    private static func ask(_ endpoint: WorkerEndpoint) -> (index: Int, endpoint: String, instance: String) {
        let line: String
        do {
            let descriptor = try Socket.connect(to: endpoint, timeout: timeout)
            defer { _ = close(descriptor) }
            let bytes = try Socket.readLine(descriptor, timeout: timeout, operation: "read from \(endpoint)")
            line = String(decoding: bytes, as: UTF8.self)
        } catch {
            fail("job-discovery: \(error)")
        }
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard line.hasSuffix("\n"), fields.count == 3, let index = Int(fields[0]), fields[2].count > 1 else {
            fail("job-discovery: \(endpoint) answered \(jsonString(line)); expected '<index> <endpoint> <instance>\\n'")
        }
        return (index, String(fields[1]), String(fields[2].dropLast()))
    }

    /// `text` as a JSON string literal.
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
