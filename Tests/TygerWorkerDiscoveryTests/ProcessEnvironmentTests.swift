#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import TygerWorkerDiscovery

/// The variants that read the live process environment.
///
/// Serialized because some of these variables (`TYGER_WORKER_NODES`, `TYGER_WORKER_INDEX`, …) are
/// process-wide; endpoint names are still unique so that nothing leaks between runs. No other
/// suite touches the process environment.
@Suite(.serialized)
struct ProcessEnvironmentTests {
    /// Sets `variables` for the duration of `body`, then unsets them again.
    private func withProcessEnvironment<T>(_ variables: [String: String], _ body: () throws -> T) rethrows -> T {
        for (name, value) in variables { setenv(name, value, 1) }
        defer { for name in variables.keys { unsetenv(name) } }
        return try body()
    }

    @Test func endpointsReadTheLiveEnvironmentEveryCall() throws {
        let name = uniqueName("live")
        let variable = "TYGER_\(name.uppercased())_WORKER_ENDPOINT_ADDRESSES"
        #expect(throws: WorkerDiscoveryError.self) { try WorkerDiscovery.endpoints(name) }
        try withProcessEnvironment([variable: json(["w-0:9000", "[fd00::1]:9001"])]) { () throws in
            #expect(try WorkerDiscovery.endpoints(name) == [
                WorkerEndpoint(host: "w-0", port: 9000), WorkerEndpoint(host: "fd00::1", port: 9001),
            ])
            setenv(variable, json(["changed:1"]), 1)
            #expect(try WorkerDiscovery.endpoints(name.uppercased()) == [WorkerEndpoint(host: "changed", port: 1)])
        }
    }

    @Test func endpointsFollowAFileVariable() throws {
        let name = uniqueName("file")
        let file = try TemporaryFile(text: json(["w-0:1", "w-1:2"]))
        defer { file.remove() }
        try withProcessEnvironment(["TYGER_\(name.uppercased())_WORKER_ENDPOINT_ADDRESSES_FILE": file.path]) { () throws in
            #expect(try WorkerDiscovery.endpoints(name).map(\.port) == [1, 2])
        }
    }

    @Test func missingEndpointsListTheNamesInTheProcessEnvironment() throws {
        let present = uniqueName("present")
        let absent = uniqueName("absent")
        try withProcessEnvironment(["TYGER_\(present.uppercased())_WORKER_ENDPOINT_ADDRESSES": "[]"]) { () throws in
            let error = try discoveryError { try WorkerDiscovery.endpoints(absent) }
            #expect(error.code == .missingVariable)
            #expect(error.variable == "TYGER_\(absent.uppercased())_WORKER_ENDPOINT_ADDRESSES")
            #expect(error.message.contains("endpoints available: "))
            #expect(error.message.contains(present.lowercased()))
        }
    }

    @Test func workerSideValuesComeFromTheProcessEnvironment() throws {
        let name = uniqueName("port")
        try withProcessEnvironment([
            "TYGER_WORKER_INDEX": "3",
            "TYGER_RUN_ID": "run-99",
            "TYGER_\(name.uppercased())_ENDPOINT_PORT": "41000",
            "TYGER_WORKER_NODES": json(["w-0", "w-1"]),
        ]) { () throws in
            #expect(try WorkerDiscovery.workerIndex() == 3)
            #expect(try WorkerDiscovery.runID() == "run-99")
            #expect(try WorkerDiscovery.listenPort(for: name) == 41000)
            #expect(try WorkerDiscovery.nodes() == ["w-0", "w-1"])
        }
        #expect(throws: WorkerDiscoveryError.self) { try WorkerDiscovery.workerIndex() }
        #expect(throws: WorkerDiscoveryError.self) { try WorkerDiscovery.listenPort(for: name) }
    }

    /// Every outcome of the dictionary variants, replayed through the process environment.
    @Test(arguments: [
        ["TYGER_WORKER_NODES": json(["w-0", "w-1"]), "@": json(["w-0:1", "w-1:2"])],
        ["TYGER_WORKER_NODES": json(["w-0"]), "@": json(["w-0:1", "w-1:2"])],
        ["@": #"["w-0:1",]"#],
        ["@": json(["w-0"])],
        ["TYGER_WORKER_NODES": "[x]", "@": "[]"],
        ["TYGER_WORKER_INDEX": "1", "TYGER_RUN_ID": ""],
        ["TYGER_WORKER_INDEX": "-1", "TYGER_RUN_ID": "r"],
        [:],
    ])
    func processAndDictionaryVariantsBehaveIdentically(template: [String: String]) throws {
        let name = uniqueName("same")
        // "@" stands for this test's own endpoint variable.
        let variables = Dictionary(uniqueKeysWithValues: template.map { key, value in
            (key == "@" ? "TYGER_\(name.uppercased())_WORKER_ENDPOINT_ADDRESSES" : key, value)
        })
        try withProcessEnvironment(variables) { () throws in
            // The whole process environment, so name listings in messages see the same keys.
            let snapshot = ProcessInfo.processInfo.environment
            #expect(outcome { try WorkerDiscovery.endpoints(name) }
                == outcome { try WorkerDiscovery.endpoints(name, environment: snapshot) })
            #expect(outcome { try WorkerDiscovery.nodes() } == outcome { try WorkerDiscovery.nodes(environment: snapshot) })
            #expect(outcome { try WorkerDiscovery.workerIndex() }
                == outcome { try WorkerDiscovery.workerIndex(environment: snapshot) })
            #expect(outcome { try WorkerDiscovery.runID() } == outcome { try WorkerDiscovery.runID(environment: snapshot) })
            #expect(outcome { try WorkerDiscovery.listenPort(for: name) }
                == outcome { try WorkerDiscovery.listenPort(for: name, environment: snapshot) })
        }
    }

    private func outcome<T: Hashable>(_ body: () throws -> T) -> Result<T, WorkerDiscoveryError>? {
        do {
            return .success(try body())
        } catch let error as WorkerDiscoveryError {
            return .failure(error)
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }
}
